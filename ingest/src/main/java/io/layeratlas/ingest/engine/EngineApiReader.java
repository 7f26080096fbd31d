package io.layeratlas.ingest.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.dockerjava.transport.DockerHttpClient;
import io.layeratlas.events.ChainIds;
import io.layeratlas.events.ContainerRecord;
import io.layeratlas.events.HostMetadata;
import io.layeratlas.events.Digest;
import io.layeratlas.events.HistoryEntry;
import io.layeratlas.events.HostInventory;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.LayerRecord;
import io.layeratlas.events.Problem;
import io.layeratlas.events.SourceKind;
import io.layeratlas.ingest.SourceScan;
import io.layeratlas.ingest.StorageReader;
import io.layeratlas.ingest.UnreadableSourceException;
import io.layeratlas.ingest.internal.EngineClients;
import io.layeratlas.ingest.internal.Rfc3339;
import io.layeratlas.ingest.internal.SharedSizes;
import io.layeratlas.ingest.internal.UnreadableItemException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads what a running Docker daemon holds through the Docker Engine API (any storage driver, and the
 * containerd image store), for sources {@code unix:///path/to/docker.sock} (or the socket's bare path) and
 * {@code tcp://host:port}
 * (plain HTTP; TLS settings come from docker-java's usual {@code DOCKER_TLS_VERIFY}/{@code DOCKER_CERT_PATH}).
 * The answers equal {@link io.layeratlas.ingest.dataroot.DataRootReader}'s for the same daemon's data-root,
 * field by field, except where noted below.
 *
 * <p>Endpoints read (Engine API v1.41, Docker 20.10; unversioned paths, so a newer daemon answers in its own
 * version, whose fields used here are the same):
 * <ul>
 *   <li>{@code GET /_ping}: the daemon is there; otherwise {@link UnreadableSourceException}.</li>
 *   <li>{@code GET /images/json?all=1&digests=1&shared-size=1}: every image ID, intermediate build images
 *       included; if this fails the whole source is unreadable.</li>
 *   <li>{@code GET /images/{id}/json} (inspect): {@code Id}, {@code RepoTags}, {@code RepoDigests},
 *       {@code Parent}, {@code Created} (RFC 3339, nanoseconds), {@code RootFS.Layers} (the diff IDs),
 *       {@code Size} (bytes), {@code Os}, {@code Architecture}.</li>
 *   <li>{@code GET /images/{id}/history}: the history, newest first; {@code Size} is bytes of the layer a step
 *       made ({@code daemon/images/image_history.go}), {@code Created} is Unix seconds.</li>
 *   <li>{@code GET /system/df}: {@code Images[].SharedSize} (bytes) and {@code Containers[].ImageID}.</li>
 *   <li>{@code GET /containers/json?all=1}: the containers, running or not: {@code Id}, {@code Names[0]}
 *       (without its {@code /}), {@code State}, {@code Created} (Unix seconds), {@code ImageID}, {@code Image}.</li>
 *   <li>{@code GET /info}: the host's {@code ServerVersion}, {@code Driver}, {@code DockerRootDir} and
 *       {@code OperatingSystem}.</li>
 * </ul>
 *
 * <p>What is derived, and how it differs from the data-root:
 * <ul>
 *   <li>Chain IDs come from the diff IDs ({@link ChainIds#of}). Layers carry chain ID, diff ID, parent chain ID
 *       and size; the API serves no compressed digests and no cache IDs, so those are empty / null.</li>
 *   <li>A layer's size is the history size of the step that made it: the n-th non-empty step made the n-th
 *       layer. The API has no {@code empty_layer} flag, so which steps are non-empty is worked out, never
 *       guessed from a size alone: a step with bytes made a layer; the count of non-empty steps is the number
 *       of diff IDs; and each ancestor image (local {@code Parent} chain) whose history is a prefix of this one
 *       fixes how many layers its steps made. Only a run of zero-byte steps that these facts leave open (a
 *       {@code RUN rm} layer beside an {@code ENV} step, with no parent image to tell them apart, as after
 *       {@code docker load}) is settled by a tie-break, with a {@link Problem} saying so: steps whose
 *       {@code CreatedBy} is a metadata-only instruction (ENV, LABEL, CMD…) are taken as empty first, then the
 *       earliest remaining zero-byte steps are taken as the layers.</li>
 *   <li>History times are whole seconds (the API truncates them); an empty {@code CreatedBy} or
 *       {@code Comment} is null, as Go's {@code omitempty} leaves it out of the config.</li>
 *   <li>Containers per image count {@code /system/df}'s containers by {@code ImageID}. Shared size is the
 *       daemon's {@code SharedSize} where it gives one; Docker 20.10 gives it only for the images
 *       {@code docker image ls} shows, so for intermediate build images it is computed by the same rule the
 *       daemon uses (bytes of the image's layers that more than one shown image uses). When
 *       {@code /system/df} fails, containers and shared size are -1 (unknown) with a problem.</li>
 *   <li>{@link SourceScan#configs()} is always empty: the API does not serve the stored config bytes
 *       (inspect is the daemon's re-rendering of them, and {@code GET /images/{id}/get} would stream every
 *       layer). A config rebuilt from inspect would not hash to the image ID, so it is not offered; the agent
 *       publishes {@link io.layeratlas.events.ImageConfigEvent}s only for images with config text, so a host read
 *       through the API publishes none and the index learns configs from other readers.</li>
 *   <li>With the containerd image store (Docker 24+ with {@code containerd-snapshotter}) the API's image ID is
 *       the image's manifest (or index) digest, not the config digest; it is kept as the image ID as the API
 *       gives it, as the data-root reader does for the same store on disk
 *       ({@link io.layeratlas.ingest.containerd.ContainerdImageStore}).</li>
 * </ul>
 *
 * <p>Errors: a daemon that cannot be reached, or an image list that cannot be read, throws
 * {@link UnreadableSourceException} naming the source. Every other failed call becomes a {@link Problem}
 * whose path is the request ({@code GET /images/<id>/json}, {@code GET /images/<id>/history},
 * {@code GET /system/df}) and the scan goes on: an image whose inspect fails is left out; an image whose
 * history fails is kept with no history and layers of unknown size (-1). Images that disappear between the
 * list and the inspect (a {@code docker rmi} during the scan) are such problems too.
 *
 * <p>Sizes are bytes, times are {@link Instant}s. Each response may take up to {@link #RESPONSE_TIMEOUT}.
 * Stateless and thread-safe: every {@link #read} opens and closes its own connection.
 */
public final class EngineApiReader implements StorageReader {

    /** {@code /system/df} walks every layer's files on a large host; a minute is generous, not endless. */
    public static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(60);

    @Override
    public SourceKind kind() {
        return SourceKind.ENGINE_API;
    }

    @Override
    public SourceScan read(String source, String hostId) {
        if (!source.contains("://") && source.startsWith("/")) {
            source = "unix://" + source; // a socket file's path, as Scanner.detect accepts it
        }
        if (!(source.startsWith("unix://") || source.startsWith("tcp://"))) {
            throw new UnreadableSourceException(source, "not a Docker host URI: give unix:///path/to/docker.sock or tcp://host:port");
        }
        if (source.startsWith("unix://") && !Files.exists(Path.of(source.substring("unix://".length())))) {
            throw new UnreadableSourceException(source, "no socket there: is dockerd running, and is this its --host?");
        }
        DockerHttpClient http;
        try {
            http = EngineClients.http(source, RESPONSE_TIMEOUT);
        } catch (RuntimeException e) {
            throw new UnreadableSourceException(source, "not a usable Docker host URI: " + EngineApi.rootCause(e), e);
        }
        try (http) {
            return new Scan(new EngineApi(http), source, hostId).run();
        } catch (IOException e) {
            // closing the client; the scan itself is done
            throw new UnreadableSourceException(source, "closing the connection failed: " + e.getMessage(), e);
        }
    }

    /** One image's answers. */
    private record Inspected(Digest id, JsonNode inspect, List<Digest> diffIds, Digest parent, List<Step> history) {
    }

    /** One history step, oldest first, as the API gives it. */
    private record Step(Instant created, String createdBy, String comment, long size) {
    }

    private static final class Scan {
        private final EngineApi api;
        private final String source;
        private final String hostId;
        private final List<Problem> problems = new ArrayList<>();

        Scan(EngineApi api, String source, String hostId) {
            this.api = api;
            this.source = source;
            this.hostId = hostId;
        }

        SourceScan run() {
            try {
                api.getText("/_ping");
            } catch (UnreadableItemException e) {
                throw new UnreadableSourceException(source, "cannot reach the Docker daemon: " + e.reason(), e);
            }
            JsonNode list;
            try {
                list = api.get("/images/json?all=1&digests=1&shared-size=1");
            } catch (UnreadableItemException e) {
                throw new UnreadableSourceException(source, "cannot list images: " + e.getMessage(), e);
            }
            if (!list.isArray()) {
                throw new UnreadableSourceException(source, "GET /images/json answered " + list.getNodeType() + ", not a list");
            }
            Map<Digest, Long> listedShared = new HashMap<>();
            Set<Digest> ids = new LinkedHashSet<>();
            for (JsonNode summary : list) {
                try {
                    Digest id = Digest.parse(summary.path("Id").asText(""));
                    ids.add(id);
                    if (summary.path("SharedSize").canConvertToLong() && summary.path("SharedSize").asLong() >= 0) {
                        listedShared.put(id, summary.path("SharedSize").asLong());
                    }
                } catch (IllegalArgumentException e) {
                    problems.add(new Problem("GET /images/json", "an image Id is not a digest: " + e.getMessage()));
                }
            }
            Map<Digest, Inspected> images = new TreeMap<>();
            for (Digest id : ids) {
                try {
                    images.put(id, inspect(id));
                } catch (UnreadableItemException e) {
                    problems.add(e.toProblem());
                }
            }
            SystemDf df = systemDf();
            Map<Digest, ImageRecord> records = new TreeMap<>();
            Map<Digest, LayerRecord> layers = new TreeMap<>();
            Map<Digest, List<Long>> layerSizes = new HashMap<>();
            for (Inspected img : images.values()) {
                layerSizes.put(img.id(), List.of());
            }
            Map<Digest, List<HistoryEntry>> histories = new HashMap<>();
            for (Inspected img : images.values()) {
                List<Boolean> nonEmpty = NonEmptySteps.resolve(img, images, problems);
                List<HistoryEntry> history = new ArrayList<>();
                List<Long> sizes = new ArrayList<>();
                for (int i = 0; i < img.history().size(); i++) {
                    Step s = img.history().get(i);
                    boolean made = nonEmpty.get(i);
                    history.add(new HistoryEntry(s.created(), s.createdBy(), s.comment(), !made, made ? s.size() : 0));
                    if (made) {
                        sizes.add(s.size());
                    }
                }
                if (!img.history().isEmpty() && sizes.size() < img.diffIds().size()) {
                    problems.add(new Problem(EngineApi.request("/images/" + img.id() + "/history"), img.history().size()
                            + " history steps made " + sizes.size() + " layers but RootFS has " + img.diffIds().size()
                            + "; the sizes of the layers above are unknown"));
                }
                while (sizes.size() < img.diffIds().size()) {
                    sizes.add(-1L);
                }
                histories.put(img.id(), history);
                layerSizes.put(img.id(), sizes.subList(0, img.diffIds().size()));
            }
            // the rule's shared size stands in where neither /system/df nor /images/json gave one
            List<SharedSizes.Image> forSizes = new ArrayList<>();
            for (Inspected img : images.values()) {
                boolean named = !references(img.inspect(), "RepoTags").isEmpty() || !references(img.inspect(), "RepoDigests").isEmpty();
                forSizes.add(new SharedSizes.Image(img.id(), named, img.parent(), ChainIds.of(img.diffIds()), layerSizes.get(img.id())));
            }
            Map<Digest, SharedSizes.Sizes> computed = SharedSizes.of(forSizes);
            for (Inspected img : images.values()) {
                List<Digest> chainIds = ChainIds.of(img.diffIds());
                List<Long> sizes = layerSizes.get(img.id());
                for (int i = 0; i < chainIds.size(); i++) {
                    LayerRecord layer = LayerRecord.of(chainIds.get(i), img.diffIds().get(i), i == 0 ? null : chainIds.get(i - 1),
                            sizes.get(i));
                    layers.merge(layer.chainId(), layer, (a, b) -> a.size() >= 0 ? a : b);
                }
                JsonNode in = img.inspect();
                long size = in.path("Size").canConvertToLong() ? in.path("Size").asLong() : -1;
                long shared = df.sharedSize().containsKey(img.id()) ? df.sharedSize().get(img.id())
                        : listedShared.containsKey(img.id()) ? listedShared.get(img.id())
                        : computed.get(img.id()).shared();
                if (!df.ok()) {
                    shared = -1;
                }
                int containers = df.ok() ? df.containers().getOrDefault(img.id(), 0) : -1;
                records.put(img.id(), new ImageRecord(img.id(), references(in, "RepoTags"), references(in, "RepoDigests"),
                        img.parent(), created(in), size, img.diffIds(), chainIds, histories.get(img.id()), containers,
                        shared, size >= 0 && shared >= 0 ? size - shared : -1, text(in, "Os"), text(in, "Architecture")));
            }
            List<ContainerRecord> containers = containers();
            HostMetadata host = info();
            HostInventory inventory = new HostInventory(source, SourceKind.ENGINE_API.id(), hostId, Instant.now(),
                    new ArrayList<>(records.values()), new ArrayList<>(layers.values()), problems, containers, host);
            return new SourceScan(inventory, Map.of());
        }

        private Inspected inspect(Digest id) {
            String path = "/images/" + id + "/json";
            JsonNode in = api.get(path);
            List<Digest> diffIds = new ArrayList<>();
            JsonNode layers = in.path("RootFS").path("Layers");
            for (int i = 0; i < layers.size(); i++) {
                try {
                    diffIds.add(Digest.parse(layers.get(i).asText("")));
                } catch (IllegalArgumentException e) {
                    // A stack with a hole has no valid chain IDs above it (as ImageConfig does for the data-root).
                    problems.add(new Problem(EngineApi.request(path), "RootFS.Layers[" + i + "] is not a digest: "
                            + e.getMessage() + "; layers from here up are left out"));
                    break;
                }
            }
            Digest parent = null;
            String p = in.path("Parent").asText("");
            if (!p.isEmpty()) {
                try {
                    parent = Digest.parse(p);
                } catch (IllegalArgumentException e) {
                    problems.add(new Problem(EngineApi.request(path), "Parent is not an image ID: " + e.getMessage()));
                }
            }
            List<Step> history = new ArrayList<>();
            String historyPath = "/images/" + id + "/history";
            try {
                JsonNode h = api.get(historyPath);
                // newest first in the answer; oldest first in the inventory, as in the config
                for (int i = h.size() - 1; i >= 0; i--) {
                    JsonNode s = h.get(i);
                    long created = s.path("Created").asLong(0);
                    history.add(new Step(created == 0 ? null : Instant.ofEpochSecond(created), text(s, "CreatedBy"),
                            text(s, "Comment"), Math.max(0, s.path("Size").asLong(0))));
                }
            } catch (UnreadableItemException e) {
                problems.add(new Problem(e.path(), e.reason() + "; the image is kept without history, its layer sizes unknown"));
            }
            return new Inspected(id, in, List.copyOf(diffIds), parent, history);
        }

        /** {@code GET /containers/json?all=1}; a failure is a problem and no containers. */
        private List<ContainerRecord> containers() {
            String path = "/containers/json?all=1";
            JsonNode list;
            try {
                list = api.get(path);
            } catch (UnreadableItemException e) {
                problems.add(new Problem(e.path(), e.reason() + "; the host's containers are unknown"));
                return List.of();
            }
            List<ContainerRecord> out = new ArrayList<>();
            for (JsonNode c : list) {
                String id = c.path("Id").asText("");
                if (id.isEmpty()) {
                    problems.add(new Problem(EngineApi.request(path), "a container without Id is left out"));
                    continue;
                }
                String name = c.path("Names").path(0).asText("");
                name = name.startsWith("/") ? name.substring(1) : name;
                long created = c.path("Created").asLong(0);
                Digest imageId = null;
                String imageIdText = c.path("ImageID").asText("");
                if (!imageIdText.isEmpty()) {
                    try {
                        imageId = Digest.parse(imageIdText);
                    } catch (IllegalArgumentException e) {
                        problems.add(new Problem(EngineApi.request(path), "container " + id + ": ImageID is not an image ID: "
                                + e.getMessage()));
                    }
                }
                out.add(new ContainerRecord(id, name.isEmpty() ? null : name, text(c, "State"),
                        created == 0 ? null : Instant.ofEpochSecond(created), imageId, text(c, "Image")));
            }
            out.sort(java.util.Comparator.comparing(ContainerRecord::id));
            return out;
        }

        /** {@code GET /info}; a failure is a problem and metadata unknown. */
        private HostMetadata info() {
            JsonNode info;
            try {
                info = api.get("/info");
            } catch (UnreadableItemException e) {
                problems.add(new Problem(e.path(), e.reason() + "; the host's Docker version and driver are unknown"));
                return HostMetadata.unknown();
            }
            return new HostMetadata(text(info, "ServerVersion"), text(info, "Driver"), text(info, "DockerRootDir"),
                    text(info, "OperatingSystem"), Map.of());
        }

        private record SystemDf(boolean ok, Map<Digest, Long> sharedSize, Map<Digest, Integer> containers) {
        }

        private SystemDf systemDf() {
            JsonNode df;
            try {
                df = api.get("/system/df");
            } catch (UnreadableItemException e) {
                problems.add(new Problem(e.path(), e.reason() + "; containers and shared sizes are unknown"));
                return new SystemDf(false, Map.of(), Map.of());
            }
            Map<Digest, Long> shared = new HashMap<>();
            for (JsonNode img : df.path("Images")) {
                JsonNode s = img.path("SharedSize");
                if (s.canConvertToLong() && s.asLong() >= 0) {
                    parseId(img.path("Id").asText(""), "Images[].Id").ifPresent(id -> shared.put(id, s.asLong()));
                }
            }
            Map<Digest, Integer> containers = new HashMap<>();
            for (JsonNode c : df.path("Containers")) {
                parseId(c.path("ImageID").asText(""), "Containers[].ImageID").ifPresent(id -> containers.merge(id, 1, Integer::sum));
            }
            return new SystemDf(true, shared, containers);
        }

        private java.util.Optional<Digest> parseId(String text, String field) {
            try {
                return java.util.Optional.of(Digest.parse(text));
            } catch (IllegalArgumentException e) {
                problems.add(new Problem("GET /system/df", field + " is not an image ID: " + e.getMessage()));
                return java.util.Optional.empty();
            }
        }

        private Instant created(JsonNode in) {
            String c = in.path("Created").asText("");
            if (c.isEmpty()) {
                return null;
            }
            try {
                return Rfc3339.parse(c);
            } catch (IllegalArgumentException e) {
                problems.add(new Problem(EngineApi.request("/images/" + in.path("Id").asText() + "/json"),
                        "Created is " + e.getMessage()));
                return null;
            }
        }
    }

    /** Repo tags or repo digests, without the {@code <none>:<none>} placeholders older daemons list. */
    private static List<String> references(JsonNode in, String field) {
        List<String> out = new ArrayList<>();
        for (JsonNode r : in.path(field)) {
            String s = r.asText("");
            if (!s.isEmpty() && !s.startsWith("<none>")) {
                out.add(s);
            }
        }
        return out;
    }

    private static String text(JsonNode in, String field) {
        String s = in.path(field).asText("");
        return s.isEmpty() ? null : s;
    }

    /**
     * Which history steps made a layer, for an API history that has no {@code empty_layer} flag (see the class
     * comment). Works on boundaries where the number of layers made so far is known: before the first step (0),
     * after the last (the number of diff IDs), and after the last step of each ancestor image whose history is
     * a prefix of this one (its number of diff IDs).
     */
    static final class NonEmptySteps {
        private static final java.util.regex.Pattern METADATA = java.util.regex.Pattern.compile(
                "(ENV|LABEL|CMD|ENTRYPOINT|EXPOSE|VOLUME|USER|STOPSIGNAL|HEALTHCHECK|SHELL|ONBUILD|ARG|MAINTAINER)\\b");

        private NonEmptySteps() {
        }

        static List<Boolean> resolve(Inspected img, Map<Digest, Inspected> images, List<Problem> problems) {
            List<Step> steps = img.history();
            int n = steps.size();
            List<Boolean> out = new ArrayList<>(n);
            for (Step s : steps) {
                out.add(s.size() > 0);
            }
            if (n == 0) {
                return out;
            }
            // layersAfter[i] = layers made by steps 0..i-1, where known; index 0 and n always known
            TreeMap<Integer, Integer> layersAfter = new TreeMap<>();
            layersAfter.put(0, 0);
            layersAfter.put(n, img.diffIds().size());
            Set<Digest> seen = new HashSet<>();
            Digest p = img.parent();
            while (p != null && seen.add(p)) {
                Inspected a = images.get(p);
                if (a == null) {
                    break;
                }
                int h = a.history().size();
                if (h > 0 && h < n && isPrefix(a.history(), steps) && a.diffIds().size() <= img.diffIds().size()) {
                    layersAfter.putIfAbsent(h, a.diffIds().size());
                }
                p = a.parent();
            }
            String path = EngineApi.request("/images/" + img.id() + "/history");
            Integer from = null;
            for (Map.Entry<Integer, Integer> b : layersAfter.entrySet()) {
                if (from != null) {
                    settle(out, steps, from, b.getKey(), b.getValue() - layersAfter.get(from), path, problems);
                }
                from = b.getKey();
            }
            return out;
        }

        /** Steps {@code [from, to)} made {@code layers} layers; steps with bytes made one each. */
        private static void settle(List<Boolean> out, List<Step> steps, int from, int to, int layers, String path,
                                   List<Problem> problems) {
            int withBytes = 0;
            List<Integer> zero = new ArrayList<>();
            for (int i = from; i < to; i++) {
                if (out.get(i)) {
                    withBytes++;
                } else {
                    zero.add(i);
                }
            }
            int open = layers - withBytes;
            if (open < 0) {
                problems.add(new Problem(path, "steps " + from + ".." + (to - 1) + " have " + withBytes
                        + " steps with bytes but made only " + layers + " layers; layer sizes may be misplaced"));
                return;
            }
            if (open == 0) {
                return;
            }
            if (open < zero.size()) {
                // Steps that only set metadata go last; among the rest the earliest win. A tie-break, so it is
                // reported: the data-root reader, which has empty_layer, is the one to trust here.
                zero.sort(java.util.Comparator.comparing((Integer i) -> metadataOnly(steps.get(i).createdBy()))
                        .thenComparing(i -> i));
                problems.add(new Problem(path, "steps " + from + ".." + (to - 1) + ": cannot tell which " + open + " of the "
                        + zero.size() + " zero-byte steps made a layer (the API has no empty_layer flag); taken: steps "
                        + zero.subList(0, open).stream().sorted().toList() + ", preferring steps that are not metadata-only"));
            }
            for (int k = 0; k < Math.min(open, zero.size()); k++) {
                out.set(zero.get(k), true);
            }
        }

        /**
         * A Dockerfile instruction that never changes files, as the classic builder ({@code /bin/sh -c #(nop)  ENV …})
         * and BuildKit ({@code ENV …}) write it into {@code created_by}. WORKDIR, ADD and COPY are not: they may make
         * a layer of 0 bytes (a new folder).
         */
        static boolean metadataOnly(String createdBy) {
            if (createdBy == null) {
                return false;
            }
            String s = createdBy.strip();
            int nop = s.indexOf("#(nop)");
            if (nop >= 0) {
                s = s.substring(nop + "#(nop)".length()).strip();
            }
            return METADATA.matcher(s).lookingAt();
        }
        private static boolean isPrefix(List<Step> prefix, List<Step> steps) {
            for (int i = 0; i < prefix.size(); i++) {
                Step a = prefix.get(i);
                Step b = steps.get(i);
                if (!java.util.Objects.equals(a.created(), b.created()) || !java.util.Objects.equals(a.createdBy(), b.createdBy())
                        || !java.util.Objects.equals(a.comment(), b.comment()) || a.size() != b.size()) {
                    return false;
                }
            }
            return true;
        }
    }
}
