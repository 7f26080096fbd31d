package io.layeratlas.db.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layeratlas.events.ChainIds;
import io.layeratlas.events.Digest;
import io.layeratlas.testing.Fixtures;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Test-only: fills the V1 fleet model with plain SQL from fleet-main's {@code truth/} (what Docker itself said:
 * {@code image-inspect.json}, {@code api/history.jsonl}, {@code api/system-df.json}, legacy-01's
 * {@code images.json}) plus, from each host's data-root, the verbatim image configs and the compressed digests
 * Docker recorded in {@code distribution/v2metadata-by-diffid}. Counters ({@code layer_usage}, {@code image_usage})
 * and lineage ({@code image_parents}) are computed here as the indexer would keep them.
 *
 * <p>Stands in for the real indexer until the dashboard's tests switch to it.
 */
public final class FleetLoader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DataSource dataSource;
    private final Instant now;

    public FleetLoader(DataSource dataSource, Instant now) {
        this.dataSource = dataSource;
        this.now = now;
    }

    /** A host's image as Docker reported it, for tests to compare against. */
    public record TruthImage(String host, String imageId, List<String> repoTags, List<String> diffIds) {
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
     * Loads all five fleet-main hosts; hosts in {@code staleHosts} last reported two hours before {@code now},
     * the others a minute before.
     */
    public void loadFleetMain(Set<String> staleHosts) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            Map<String, List<String>> chainsByImage = new LinkedHashMap<>();
            Map<String, String> dockerParents = new HashMap<>();
            for (String host : Fixtures.fleetMainHosts()) {
                Instant reported = staleHosts.contains(host) ? now.minus(Duration.ofHours(2)) : now.minus(Duration.ofMinutes(1));
                if (Files.exists(Fixtures.truth(host).resolve("image-inspect.json"))) {
                    loadDockerHost(c, host, reported, chainsByImage, dockerParents);
                } else {
                    loadLegacyHost(c, host, reported, chainsByImage);
                }
            }
            lineage(c, chainsByImage, dockerParents);
            counters(c);
            c.commit();
        } catch (SQLException e) {
            throw new IllegalStateException("loading fleet-main failed: " + e.getMessage(), e);
        }
    }

    /** The values the hostile host carries, for tests to look for. */
    public record Hostile(String hostId, String imageId, String tag, String diffId, String labelKey, String labelValue,
                          String longValue) {
    }

    /** Adds a host whose names, tags and labels try to break out of HTML, JSON and CSV. */
    public Hostile loadHostileHost() {
        String hostId = "evil-\"<b>host</b>'";
        String tag = "evil/<script>alert('tag')</script>:1\"x";
        String labelKey = "<img src=x onerror=alert(1)>";
        String labelValue = "</td><script>alert(\"label\")</script>\nsecond line, \"quoted\" & 'single'";
        String longValue = "L".repeat(5000);
        String diffId = Digest.sha256Of("hostile layer").toString();
        ObjectNode config = JSON.createObjectNode();
        config.put("architecture", "amd64").put("os", "linux").put("created", now.minus(Duration.ofDays(1)).toString());
        ObjectNode cfg = config.putObject("config");
        cfg.putArray("Env").add("EVIL=<script>alert('env')</script>");
        cfg.putArray("Cmd").add("/bin/sh").add("-c").add("echo \"</pre><script>alert(1)</script>\"");
        ObjectNode labels = cfg.putObject("Labels");
        labels.put(labelKey, labelValue);
        labels.put("very.long", longValue);
        config.putObject("rootfs").put("type", "layers").putArray("diff_ids").add(diffId);
        ArrayNode history = config.putArray("history");
        history.addObject().put("created", now.minus(Duration.ofDays(1)).toString())
                .put("created_by", "/bin/sh -c echo '<script>alert(\"history\")</script>' > /x");
        String configText = config.toString();
        String imageId = Digest.sha256Of(configText).toString();
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            long hostKey = host(c, hostId, "/var/lib/<docker>", "data-root", now.minus(Duration.ofMinutes(1)));
            long imageKey = image(c, imageId, configText, now.minus(Duration.ofDays(1)), "linux", "amd64", 1, 4242L);
            long layerKey = layer(c, diffId, diffId, null, 4242L, null);
            exec(c, "INSERT INTO image_layers (image_key, position, layer_key) VALUES (?, 0, ?)", imageKey, layerKey);
            exec(c, "INSERT INTO image_history (image_key, position, created, created_by, empty_layer, size) VALUES (?, 0, ?, ?, false, 4242)",
                    imageKey, ts(now.minus(Duration.ofDays(1))), history.get(0).path("created_by").asText());
            exec(c, """
                    INSERT INTO host_images (host_key, image_key, repo_tags, repo_digests, containers, size, shared_size, unique_size)
                    VALUES (?, ?, ?, '{}', 0, 4242, 0, 4242)""", hostKey, imageKey, c.createArrayOf("text", new String[]{tag}));
            exec(c, "INSERT INTO host_layers (host_key, layer_key) VALUES (?, ?)", hostKey, layerKey);
            exec(c, "INSERT INTO host_changes (host_key, generation, at, change, subject, keys) VALUES (?, 1, ?, 'added', 'image', ARRAY[(SELECT image_key FROM images WHERE image_id = ?)])",
                    hostKey, ts(now), imageId);
            counters(c);
            c.commit();
        } catch (SQLException e) {
            throw new IllegalStateException("loading the hostile host failed: " + e.getMessage(), e);
        }
        return new Hostile(hostId, imageId, tag, diffId, labelKey, labelValue, longValue);
    }

    private void loadDockerHost(Connection c, String host, Instant reported, Map<String, List<String>> chainsByImage,
                                Map<String, String> dockerParents) throws SQLException {
        Path truth = Fixtures.truth(host);
        Path imageRoot = Fixtures.dataRoot(host).resolve("image/overlay2");
        Map<String, List<JsonNode>> histories = new HashMap<>();
        for (String line : lines(truth.resolve("api/history.jsonl"))) {
            JsonNode n = parse(line);
            List<JsonNode> entries = new ArrayList<>();
            n.path("history").forEach(entries::add);
            Collections.reverse(entries); // the API answers newest first; the model stores oldest first
            histories.put(n.path("id").asText(), entries);
        }
        Map<String, JsonNode> df = new HashMap<>();
        read(truth.resolve("api/system-df.json")).path("Images").forEach(i -> df.put(i.path("Id").asText(), i));
        long hostKey = host(c, host, "/var/lib/docker", "data-root", reported);
        for (JsonNode img : read(truth.resolve("image-inspect.json"))) {
            String imageId = img.path("Id").asText();
            Path configFile = imageRoot.resolve("imagedb/content/sha256").resolve(imageId.substring("sha256:".length()));
            String configText = readString(configFile);
            JsonNode config = parse(configText);
            List<String> diffIds = texts(img.path("RootFS").path("Layers"));
            List<String> chainIds = ChainIds.of(diffIds.stream().map(Digest::parse).toList()).stream().map(Digest::toString).toList();
            chainsByImage.put(imageId, chainIds);
            if (!img.path("Parent").asText().isEmpty()) {
                dockerParents.put(imageId, img.path("Parent").asText());
            }
            long imageKey = image(c, imageId, configText, Instant.parse(img.path("Created").asText()),
                    img.path("Os").asText(), img.path("Architecture").asText(), diffIds.size(), img.path("Size").asLong());
            // Non-empty history entries line up with the diff IDs, in order (image-spec config.md "history").
            List<JsonNode> configHistory = new ArrayList<>();
            config.path("history").forEach(configHistory::add);
            List<JsonNode> apiHistory = histories.getOrDefault(imageId, List.of());
            List<Long> layerSizes = new ArrayList<>();
            for (int i = 0; i < configHistory.size(); i++) {
                JsonNode h = configHistory.get(i);
                boolean empty = h.path("empty_layer").asBoolean(false);
                long size = i < apiHistory.size() ? apiHistory.get(i).path("Size").asLong() : 0;
                if (!empty) {
                    layerSizes.add(size);
                }
                exec(c, """
                        INSERT INTO image_history (image_key, position, created, created_by, comment, empty_layer, size)
                        VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING""",
                        imageKey, i, h.hasNonNull("created") ? ts(Instant.parse(h.path("created").asText())) : null,
                        h.path("created_by").asText(""), h.path("comment").asText(""), empty, size);
            }
            for (int i = 0; i < diffIds.size(); i++) {
                long layerKey = layer(c, chainIds.get(i), diffIds.get(i), i == 0 ? null : chainIds.get(i - 1),
                        i < layerSizes.size() ? layerSizes.get(i) : null, null);
                exec(c, "INSERT INTO image_layers (image_key, position, layer_key) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                        imageKey, i, layerKey);
                if (insertedHostLayer(c, hostKey, layerKey, reported)) {
                    exec(c, "INSERT INTO host_changes (host_key, generation, at, change, subject, keys) VALUES (?, 1, ?, 'added', 'layer', ARRAY[(SELECT layer_key FROM layers WHERE chain_id = ?)])",
                            hostKey, ts(reported), chainIds.get(i));
                }
                Path v2 = imageRoot.resolve("distribution/v2metadata-by-diffid/sha256").resolve(diffIds.get(i).substring(7));
                if (Files.exists(v2)) {
                    for (JsonNode m : parse(readString(v2))) {
                        exec(c, """
                                INSERT INTO layer_blobs (diff_id, compressed_digest, media_type, source_repository)
                                VALUES (?, ?, 'application/vnd.docker.image.rootfs.diff.tar.gzip', ?) ON CONFLICT DO NOTHING""",
                                diffIds.get(i), m.path("Digest").asText(), m.path("SourceRepository").asText(null));
                    }
                }
            }
            JsonNode d = df.get(imageId);
            long size = d == null ? img.path("Size").asLong() : d.path("Size").asLong();
            long shared = d == null ? -1 : d.path("SharedSize").asLong();
            exec(c, """
                    INSERT INTO host_images (host_key, image_key, repo_tags, repo_digests, parent_id, containers, size,
                                             shared_size, unique_size, first_seen)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    hostKey, imageKey, c.createArrayOf("text", texts(img.path("RepoTags")).toArray()),
                    c.createArrayOf("text", texts(img.path("RepoDigests")).toArray()),
                    img.path("Parent").asText().isEmpty() ? null : img.path("Parent").asText(),
                    d == null ? 0 : d.path("Containers").asInt(), size, shared, shared < 0 ? -1 : size - shared,
                    ts(reported));
            exec(c, "INSERT INTO host_changes (host_key, generation, at, change, subject, keys) VALUES (?, 1, ?, 'added', 'image', ARRAY[(SELECT image_key FROM images WHERE image_id = ?)])",
                    hostKey, ts(reported), imageId);
        }
    }

    private void loadLegacyHost(Connection c, String host, Instant reported, Map<String, List<String>> chainsByImage)
            throws SQLException {
        long hostKey = host(c, host, "/var/lib/docker", "legacy-graph", reported);
        for (JsonNode img : read(Fixtures.truth(host).resolve("images.json"))) {
            String imageId = img.path("id").asText();
            List<String> diffIds = texts(img.path("diffIds"));
            List<String> v1Ids = texts(img.path("v1LayerIds"));
            List<String> chainIds = ChainIds.of(diffIds.stream().map(Digest::parse).toList()).stream().map(Digest::toString).toList();
            chainsByImage.putIfAbsent(imageId, chainIds);
            long imageKey = image(c, imageId, null, null, null, null, diffIds.size(), null);
            for (int i = 0; i < diffIds.size(); i++) {
                long layerKey = layer(c, chainIds.get(i), diffIds.get(i), i == 0 ? null : chainIds.get(i - 1), null, v1Ids.get(i));
                exec(c, "INSERT INTO image_layers (image_key, position, layer_key) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                        imageKey, i, layerKey);
                insertedHostLayer(c, hostKey, layerKey, reported);
            }
            exec(c, """
                    INSERT INTO host_images (host_key, image_key, repo_tags, first_seen)
                    VALUES (?, ?, ?, ?)""",
                    hostKey, imageKey, c.createArrayOf("text", texts(img.path("repoTags")).toArray()), ts(reported));
        }
    }

    /**
     * Docker's parent where the host reported one; the inferred base: the longest other image whose chain IDs
     * prefix this one's, among equally long ones an image tagged on some host, then the smallest image ID.
     */
    private static void lineage(Connection c, Map<String, List<String>> chainsByImage, Map<String, String> dockerParents)
            throws SQLException {
        for (var e : dockerParents.entrySet()) {
            exec(c, """
                    INSERT INTO image_parents (child_key, parent_key, source)
                    SELECT ch.image_key, p.image_key, 'docker-parent' FROM images ch, images p
                     WHERE ch.image_id = ? AND p.image_id = ? ON CONFLICT DO NOTHING""", e.getKey(), e.getValue());
        }
        java.util.Set<String> tagged = new java.util.HashSet<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT DISTINCT i.image_id FROM host_images hi JOIN images i ON i.image_key = hi.image_key
                  JOIN hosts h ON h.host_key = hi.host_key WHERE hi.repo_tags <> '{}' AND h.retired_at IS NULL""");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                tagged.add(rs.getString(1));
            }
        }
        java.util.Comparator<Map.Entry<String, List<String>>> better = java.util.Comparator
                .<Map.Entry<String, List<String>>>comparingInt(o -> -o.getValue().size())
                .thenComparing(o -> tagged.contains(o.getKey()) ? 0 : 1)
                .thenComparing(Map.Entry::getKey);
        for (var child : chainsByImage.entrySet()) {
            List<String> ch = child.getValue();
            String best = chainsByImage.entrySet().stream()
                    .filter(o -> o.getValue().size() < ch.size() && ch.subList(0, o.getValue().size()).equals(o.getValue()))
                    .min(better).map(Map.Entry::getKey).orElse(null);
            if (best != null) {
                exec(c, """
                        INSERT INTO image_parents (child_key, parent_key, source)
                        SELECT ch.image_key, p.image_key, 'inferred-base' FROM images ch, images p
                         WHERE ch.image_id = ? AND p.image_id = ? ON CONFLICT DO NOTHING""", child.getKey(), best);
            }
        }
    }

    private static void counters(Connection c) throws SQLException {
        exec(c, "DELETE FROM layer_usage");
        exec(c, "DELETE FROM image_usage");
        exec(c, """
                INSERT INTO layer_usage (layer_key, host_count, image_count)
                SELECT l.layer_key,
                       (SELECT count(*) FROM host_layers hl JOIN hosts h ON h.host_key = hl.host_key
                         WHERE hl.layer_key = l.layer_key AND h.retired_at IS NULL),
                       (SELECT count(DISTINCT il.image_key) FROM image_layers il
                         JOIN host_images hi ON hi.image_key = il.image_key WHERE il.layer_key = l.layer_key)
                  FROM layers l""");
        exec(c, """
                INSERT INTO image_usage (image_key, host_count)
                SELECT i.image_key, (SELECT count(*) FROM host_images hi WHERE hi.image_key = i.image_key) FROM images i""");
    }

    private long host(Connection c, String hostId, String source, String kind, Instant reported) throws SQLException {
        return key(c, """
                INSERT INTO hosts (host_id, source, source_kind, agent_version, generation, scanned_at, snapshot_applied_at,
                                   last_heartbeat_at, heartbeat_interval_seconds, first_seen)
                VALUES (?, ?, ?, '0.1.0-test', 1, ?, ?, ?, 30, ?) RETURNING host_key""",
                hostId, source, kind, ts(reported.minusSeconds(5)), ts(reported), ts(reported), ts(now.minus(Duration.ofDays(3))));
    }

    private static long image(Connection c, String imageId, String config, Instant created, String os, String arch,
                              int layerCount, Long size) throws SQLException {
        return key(c, """
                INSERT INTO images (image_id, config, created, os, architecture, layer_count, size)
                VALUES (?, ?::jsonb, ?, ?, ?, ?, ?)
                ON CONFLICT (image_id) DO UPDATE SET config = coalesce(images.config, excluded.config),
                    created = coalesce(images.created, excluded.created), size = coalesce(images.size, excluded.size)
                RETURNING image_key""", imageId, config, created == null ? null : ts(created), os, arch, layerCount, size);
    }

    private static long layer(Connection c, String chainId, String diffId, String parent, Long size, String v1Id)
            throws SQLException {
        return key(c, """
                INSERT INTO layers (chain_id, diff_id, parent_chain_id, size, v1_id) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (chain_id) DO UPDATE SET size = coalesce(layers.size, excluded.size),
                    v1_id = coalesce(layers.v1_id, excluded.v1_id)
                RETURNING layer_key""", chainId, diffId, parent, size, v1Id);
    }

    private static boolean insertedHostLayer(Connection c, long hostKey, long layerKey, Instant at) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO host_layers (host_key, layer_key, first_seen) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")) {
            ps.setLong(1, hostKey);
            ps.setLong(2, layerKey);
            ps.setTimestamp(3, ts(at));
            return ps.executeUpdate() == 1;
        }
    }

    private static long key(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static void exec(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            ps.executeUpdate();
        }
    }

    private static Timestamp ts(Instant i) {
        return Timestamp.from(i);
    }

    static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static JsonNode read(Path p) {
        return parse(readString(p));
    }

    private static JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String readString(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> lines(Path p) {
        try {
            return Files.readAllLines(p).stream().filter(l -> !l.isBlank()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
