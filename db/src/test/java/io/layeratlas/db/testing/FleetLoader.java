package io.layeratlas.db.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layeratlas.db.Database;
import io.layeratlas.db.index.IndexWriter;
import io.layeratlas.events.ContainerRecord;
import io.layeratlas.events.Digest;
import io.layeratlas.events.HostMetadata;
import io.layeratlas.events.Heartbeat;
import io.layeratlas.events.HistoryEntry;
import io.layeratlas.events.HostInventory;
import io.layeratlas.events.HostSnapshot;
import io.layeratlas.events.ImageConfigEvent;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.LayerAtlasEvent;
import io.layeratlas.events.LayerRecord;
import io.layeratlas.ingest.Scanner;
import io.layeratlas.ingest.SourceScan;
import io.layeratlas.testing.Fixtures;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Test-only: fills an index the way production does. Each fleet-main host's data-root is read by the agent's own
 * readers ({@link Scanner}, as {@code layeratlas scan} reads it), turned into the events the agent publishes (one
 * {@link HostSnapshot}, an {@link ImageConfigEvent} per config read, a {@link Heartbeat}) and applied by the
 * indexer's write path ({@link IndexWriter}, no Kafka). Counters, lineage and the change log are the indexer's.
 * Tests compare what the index answers with Docker's own output in {@code truth/} ({@link #truthImages()}).
 *
 * <p>Times: the indexer stamps {@code snapshot_applied_at} with the database's clock, so a host's last report is at
 * least the real time of loading. Fresh hosts send a heartbeat one minute before {@code now}; stale hosts send none.
 * For a stale host to be stale, the tests' clock ({@code now}) must run more than the stale-after age ahead of
 * the real time of loading ({@link #clockAhead()}).
 */
public final class FleetLoader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Database database;
    private final Instant now;

    /** @param now the instant the tests' clock shows (see the class comment) */
    public FleetLoader(Database database, Instant now) {
        this.database = database;
        this.now = now;
    }

    /** A clock instant far enough ahead of real time that hosts without heartbeats are stale: three hours. */
    public static Instant clockAhead() {
        return Instant.now().plus(Duration.ofHours(3));
    }

    /** A host's image as Docker reported it, for tests to compare against. */
    public record TruthImage(String host, String imageId, List<String> repoTags, List<String> diffIds) {
        /**
         * The chain ID of the layer at {@code position} (0 = bottom) of this image, from the diff IDs Docker reported, by
         * the OCI image spec's definition (config.md, "Layer ChainID"), as {@link io.layeratlas.events.ChainIds}
         * computes it (checked against {@code sha256sum} in its own test).
         */
        public String chainId(int position) {
            return io.layeratlas.events.ChainIds.of(diffIds.stream().map(io.layeratlas.events.Digest::parse).toList())
                    .get(position).toString();
        }
    }

    /**
     * Whether truth gives the image IDs the host's own store uses. Not for legacy-01 (pre-1.10 graph layout): its
     * {@code images.json} names each image by the ID it has on modern hosts, while the index holds the IDs Docker's
     * v1-to-v2 migration derives (README, DESIGN "Legacy (pre-1.10) image IDs") and one image per v1 layer. Compare
     * such a host by tags, diff IDs and v1 layer IDs instead.
     */
    public static boolean truthHasStoreIds(String host) {
        return Files.exists(Fixtures.truth(host).resolve("image-inspect.json"));
    }

    /** Every image of every fleet-main host, from truth. */
    public static List<TruthImage> truthImages() {
        List<TruthImage> out = new ArrayList<>();
        for (String host : Fixtures.fleetMainHosts()) {
            Path inspect = Fixtures.truth(host).resolve("image-inspect.json");
            if (Files.exists(inspect)) {
                for (JsonNode img : read(inspect)) {
                    out.add(new TruthImage(host, img.path("Id").asText(), texts(img.path("RepoTags")),
                            texts(img.path("RootFS").path("Layers"))));
                }
            } else {
                for (JsonNode img : read(Fixtures.truth(host).resolve("images.json"))) {
                    out.add(new TruthImage(host, img.path("id").asText(), texts(img.path("repoTags")), texts(img.path("diffIds"))));
                }
            }
        }
        return out;
    }

    /**
     * The operator labels each fleet-main host's agent is given in the tests ({@code --label}, which the agent adds
     * to what it read): web-01 and web-02 {@code env=prod, team=web}, batch-01 {@code env=prod, team=batch},
     * build-01 {@code env=build}, legacy-01 none.
     */
    public static Map<String, String> labelsOf(String host) {
        return switch (host) {
            case "web-01", "web-02" -> Map.of("env", "prod", "team", "web");
            case "batch-01" -> Map.of("env", "prod", "team", "batch");
            case "build-01" -> Map.of("env", "build");
            default -> Map.of();
        };
    }

    /**
     * Indexes all five fleet-main hosts, scanned from their data-roots (containers included), with
     * {@link #labelsOf their labels}; hosts in {@code staleHosts} send no heartbeat.
     */
    public void loadFleetMain(Set<String> staleHosts) {
        List<LayerAtlasEvent> events = new ArrayList<>();
        for (SourceScan scan : fleetMainScans()) {
            HostInventory inv = scan.inventory();
            String host = inv.hostId();
            SourceScan labelled = new SourceScan(inv.withHost(inv.host().withLabels(labelsOf(host))), scan.configs());
            events.addAll(agentEvents(labelled, staleHosts.contains(host) ? null : now.minus(Duration.ofMinutes(1))));
        }
        apply(events);
    }

    private static List<SourceScan> scans;

    /** The fixtures do not change during a run: each JVM scans them once (legacy-01's diff IDs take seconds). */
    private static synchronized List<SourceScan> fleetMainScans() {
        if (scans == null) {
            Scanner scanner = new Scanner();
            scans = Fixtures.fleetMainHosts().stream()
                    .map(host -> scanner.read(Fixtures.dataRoot(host).toString(), Optional.empty(), host)).toList();
        }
        return scans;
    }

    /** The values the hostile host carries, for tests to look for. */
    public record Hostile(String hostId, String imageId, String tag, String diffId, String labelKey, String labelValue,
                          String longValue) {
    }

    /** Indexes a host whose names, tags and labels try to break out of HTML, JSON and CSV. */
    public Hostile loadHostileHost() {
        String hostId = "evil-\"<b>host</b>'";
        String tag = "evil/<script>alert('tag')</script>:1\"x";
        String labelKey = "<img src=x onerror=alert(1)>";
        String labelValue = "</td><script>alert(\"label\")</script>\nsecond line, \"quoted\" & 'single'";
        String longValue = "L".repeat(5000);
        Digest diffId = Digest.sha256Of("hostile layer");
        Instant created = now.minus(Duration.ofDays(1));
        String createdBy = "/bin/sh -c echo '<script>alert(\"history\")</script>' > /x";
        ObjectNode config = JSON.createObjectNode();
        config.put("architecture", "amd64").put("os", "linux").put("created", created.toString());
        ObjectNode cfg = config.putObject("config");
        cfg.putArray("Env").add("EVIL=<script>alert('env')</script>");
        cfg.putArray("Cmd").add("/bin/sh").add("-c").add("echo \"</pre><script>alert(1)</script>\"");
        ObjectNode labels = cfg.putObject("Labels");
        labels.put(labelKey, labelValue);
        labels.put("very.long", longValue);
        config.putObject("rootfs").put("type", "layers").putArray("diff_ids").add(diffId.toString());
        ArrayNode history = config.putArray("history");
        history.addObject().put("created", created.toString()).put("created_by", createdBy);
        String configText = config.toString();
        Digest imageId = Digest.sha256Of(configText);
        ImageRecord image = new ImageRecord(imageId, List.of(tag), List.of(), null, created, 4242, List.of(diffId),
                List.of(diffId), List.of(new HistoryEntry(created, createdBy, null, false, 4242)), 0, 0, 4242,
                "linux", "amd64");
        ContainerRecord container = new ContainerRecord("c0ffee" + "0".repeat(58), "evil-<script>alert('container')</script>",
                "running", created, imageId, tag);
        HostInventory inventory = new HostInventory("/var/lib/<docker>", "data-root", hostId, now.minus(Duration.ofMinutes(2)),
                List.of(image), List.of(LayerRecord.of(diffId, diffId, null, 4242)), List.of(), List.of(container),
                new HostMetadata("<b>20.10</b>", "overlay2", "/var/lib/<docker>", "Debian \"<i>evil</i>\"",
                        Map.of(labelKey, labelValue)));
        apply(agentEvents(new SourceScan(inventory, java.util.Map.of(imageId,
                configText.getBytes(java.nio.charset.StandardCharsets.UTF_8))), now.minus(Duration.ofMinutes(1))));
        return new Hostile(hostId, imageId.toString(), tag, diffId.toString(), labelKey, labelValue, longValue);
    }

    /** What an agent publishes for one scan: its snapshot (generation 1, one chunk), its configs, a heartbeat. */
    private static List<LayerAtlasEvent> agentEvents(SourceScan scan, Instant heartbeatAt) {
        HostInventory inv = scan.inventory();
        List<LayerAtlasEvent> events = new ArrayList<>();
        events.add(new HostSnapshot(LayerAtlasEvent.SCHEMA_VERSION, inv.hostId(), 1, 0, 1, inv.scannedAt(), "0.1.0-test",
                inv.kind(), inv.source(), inv.images(), inv.layers(), inv.problems(), inv.containers(), inv.host()));
        for (ImageRecord image : inv.images()) {
            scan.configText(image.id()).ifPresent(text -> events.add(ImageConfigEvent.of(text, image)));
        }
        if (heartbeatAt != null) {
            events.add(new Heartbeat(LayerAtlasEvent.SCHEMA_VERSION, inv.hostId(), heartbeatAt, "0.1.0-test", 1, 30));
        }
        return events;
    }

    /** The one place events enter the test index: the indexer's own write path, one transaction. */
    private void apply(List<LayerAtlasEvent> events) {
        new IndexWriter(database).inTransaction(tx -> {
            events.forEach(tx::apply);
            return null;
        });
    }

    static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static JsonNode read(Path p) {
        try {
            return JSON.readTree(Files.readString(p));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
