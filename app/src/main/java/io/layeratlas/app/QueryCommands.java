package io.layeratlas.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layeratlas.agent.Terminal;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * The query commands for scripts and terminals (issue 16, point 8): {@code layer hosts DIGEST}, {@code image hosts
 * REPO:TAG} and {@code hosts list}, answered by a running dashboard's JSON API ({@code --url}), every page followed.
 * {@code --format table} (default) prints as the Docker CLI does, with relative times ("3 hours ago");
 * {@code json} prints the API's own objects, all pages in one array; {@code csv} one line per host.
 * Exit codes: 0 answered, 1 the dashboard answered an error (its message on stderr) or could not be reached.
 */
final class QueryCommands {
    private QueryCommands() {
    }

    /** Runs a query and prints it in the chosen format; API errors go to stderr with exit code 1. */
    private static int run(ApiOptionsMixin o, Callable<Answer> query) throws Exception {
        if (!List.of("table", "json", "csv").contains(o.format)) {
            System.err.println("--format must be table, json or csv, not '" + o.format + "'");
            return 2;
        }
        Answer a;
        try {
            a = query.call();
        } catch (DashboardApi.ApiException e) {
            System.err.println("layeratlas: " + e.getMessage());
            return 1;
        }
        PrintStream out = System.out;
        switch (o.format) {
            case "json" -> out.println(new DashboardApi(o.url).mapper().writerWithDefaultPrettyPrinter().writeValueAsString(a.json()));
            case "csv" -> out.print(Terminal.csv(a.csvHeaders(), a.csvRows()));
            default -> out.print(Terminal.table(a.headers(), a.rows()));
        }
        out.flush();
        return 0;
    }

    /** What a query prints: the JSON, and the rows of the table and of the CSV. */
    private record Answer(JsonNode json, List<String> headers, List<List<String>> rows, List<String> csvHeaders,
                          List<List<String>> csvRows) {
    }

    private static String text(JsonNode n) {
        return n == null || n.isNull() || n.isMissingNode() ? "" : n.asText();
    }

    private static Instant time(JsonNode n) {
        return n == null || !n.isTextual() ? null : Instant.parse(n.asText());
    }

    private static String shortId(String digest) {
        int colon = digest.indexOf(':');
        String hex = colon >= 0 ? digest.substring(colon + 1) : digest;
        return hex.length() > 12 ? hex.substring(0, 12) : hex;
    }

    /** {@code name:state} of each container, space-separated (as the remediation CSV writes them). */
    private static String containers(JsonNode list) {
        List<String> out = new ArrayList<>();
        list.forEach(c -> out.add((c.path("name").isTextual() ? c.path("name").asText() : shortId(text(c.path("containerId"))))
                + ":" + (c.path("state").isTextual() ? c.path("state").asText() : "unknown")));
        return String.join(" ", out);
    }

    /** {@code key=value} separated by {@code ;} (as the remediation CSV writes them). */
    private static String labels(JsonNode labels) {
        Map<String, String> sorted = new TreeMap<>();
        labels.fields().forEachRemaining(e -> sorted.put(e.getKey(), e.getValue().asText()));
        List<String> out = new ArrayList<>();
        sorted.forEach((k, v) -> out.add(k + "=" + v));
        return String.join(";", out);
    }

    private static String state(JsonNode status) {
        return status.path("stale").asBoolean() ? "stale" : "live";
    }

    @Command(name = "layer", mixinStandardHelpOptions = true, description = "Ask the dashboard about a layer.",
            subcommands = LayerCommand.Hosts.class)
    static final class LayerCommand {
        @Command(name = "hosts", mixinStandardHelpOptions = true,
                description = {"Every host holding a layer (diff ID, chain ID or a unique prefix of 12+ hex digits), "
                        + "with its images containing it and the containers running them: the remediation list.",
                        "JSON: {\"digest\",\"matchedBy\",\"hostCount\",\"hosts\":[…]} with the hosts as "
                                + "/api/v1/layers/{digest}/hosts gives them."})
        static final class Hosts implements Callable<Integer> {
            @picocli.CommandLine.Mixin(name = "api")
            ApiOptionsMixin api;

            @Parameters(paramLabel = "DIGEST", description = "sha256:… diff or chain ID, or a prefix")
            String digest;

            @Override
            public Integer call() throws Exception {
                ApiOptionsMixin o = api;
                return run(o, () -> {
                    DashboardApi d = new DashboardApi(o.url);
                    ObjectNode json = d.mapper().createObjectNode();
                    // The hosts' own tags of their images are shown: the page's full shape (imageRefs).
                    ArrayNode hosts = d.all("/api/v1/layers/" + DashboardApi.enc(digest) + "/hosts?include=imageRefs"
                            + DashboardApi.labelParams(o.labels), "cursor", "hosts", "next", first -> {
                        json.set("digest", first.path("digest"));
                        json.set("matchedBy", first.path("matchedBy"));
                        json.set("hostCount", first.path("hostCount"));
                    });
                    json.set("hosts", hosts);
                    Instant now = Instant.now();
                    List<List<String>> rows = new ArrayList<>();
                    List<List<String>> csv = new ArrayList<>();
                    for (JsonNode h : hosts) {
                        List<String> tags = new ArrayList<>();
                        h.path("imageRefs").forEach(i -> i.path("repoTags").forEach(t -> {
                            if (!tags.contains(t.asText())) {
                                tags.add(t.asText());
                            }
                        }));
                        List<String> ids = new ArrayList<>();
                        h.path("images").forEach(i -> ids.add(i.asText()));
                        String images = tags.isEmpty() ? String.join(" ", ids.stream().map(QueryCommands::shortId).toList())
                                : String.join(" ", tags);
                        rows.add(List.of(text(h.path("hostId")), h.path("stale").asBoolean() ? "stale" : "live",
                                Terminal.ago(time(h.path("lastReportAt")), now), images, containers(h.path("containers")),
                                labels(h.path("labels"))));
                        csv.add(List.of(text(h.path("hostId")), Boolean.toString(h.path("stale").asBoolean()),
                                text(h.path("lastReportAt")), text(h.path("firstSeen")), String.join(" ", ids),
                                String.join(" ", tags), containers(h.path("containers")), labels(h.path("labels"))));
                    }
                    return new Answer(json, List.of("host", "state", "last report", "images", "containers", "labels"), rows,
                            List.of("host_id", "stale", "last_report_at", "first_seen", "image_ids", "repo_tags",
                                    "containers", "labels"), csv);
                });
            }
        }
    }

    @Command(name = "image", mixinStandardHelpOptions = true, description = "Ask the dashboard about an image.",
            subcommands = ImageCommand.Hosts.class)
    static final class ImageCommand {
        @Command(name = "hosts", mixinStandardHelpOptions = true,
                description = {"Every host holding an image under REPO:TAG (or an image ID or prefix), grouped by "
                        + "image ID: the same tag can name different images on different hosts.",
                        "JSON: [{\"imageId\",\"hosts\":[…]}] with the hosts as /api/v1/images/{id} gives them."})
        static final class Hosts implements Callable<Integer> {
            @picocli.CommandLine.Mixin(name = "api")
            ApiOptionsMixin api;

            @Parameters(paramLabel = "REPO:TAG", description = "a repo tag (shop/api:1.0), or an image ID or prefix")
            String ref;

            @Override
            public Integer call() throws Exception {
                ApiOptionsMixin o = api;
                return run(o, () -> {
                    DashboardApi d = new DashboardApi(o.url);
                    boolean byId = ref.startsWith("sha256:");
                    List<String> imageIds = new ArrayList<>();
                    if (byId) {
                        imageIds.add(ref);
                    } else {
                        // The search answers which images carry the tag; each image's hosts then say where.
                        for (JsonNode m : d.get("/api/v1/search?q=" + DashboardApi.enc(ref)).path("matches")) {
                            if ("IMAGE".equals(m.path("kind").asText()) && !imageIds.contains(m.path("key").asText())) {
                                imageIds.add(m.path("key").asText());
                            }
                        }
                    }
                    ArrayNode json = d.mapper().createArrayNode();
                    Instant now = Instant.now();
                    List<List<String>> rows = new ArrayList<>();
                    List<List<String>> csv = new ArrayList<>();
                    for (String id : imageIds) {
                        ObjectNode group = d.mapper().createObjectNode();
                        ArrayNode hosts = d.all("/api/v1/images/" + DashboardApi.enc(id) + "?"
                                + DashboardApi.labelParams(o.labels), "hosts_cursor", "hosts", "hostsPage.next", first -> {
                            group.set("imageId", first.path("imageId"));
                            group.set("created", first.path("created"));
                        });
                        ArrayNode kept = d.mapper().createArrayNode();
                        for (JsonNode h : hosts) {
                            boolean tagged = false;
                            for (JsonNode t : h.path("repoTags")) {
                                tagged |= io.layeratlas.db.query.TagQuery.namesTag(t.asText(), ref);
                            }
                            if (byId || tagged) {
                                kept.add(h);
                            }
                        }
                        if (kept.isEmpty()) {
                            continue;
                        }
                        group.set("hosts", kept);
                        json.add(group);
                        for (JsonNode h : kept) {
                            JsonNode s = h.path("host");
                            List<String> tags = new ArrayList<>();
                            h.path("repoTags").forEach(t -> tags.add(t.asText()));
                            rows.add(List.of(shortId(text(group.path("imageId"))), Terminal.ago(time(group.path("created")), now),
                                    text(s.path("hostId")), state(s), Terminal.ago(time(s.path("lastReportAt")), now),
                                    String.join(" ", tags), containers(h.path("containerList")), labels(s.path("labels"))));
                            csv.add(List.of(text(group.path("imageId")), text(group.path("created")), text(s.path("hostId")),
                                    Boolean.toString(s.path("stale").asBoolean()), text(s.path("lastReportAt")),
                                    String.join(" ", tags), containers(h.path("containerList")), labels(s.path("labels"))));
                        }
                    }
                    if (json.isEmpty()) {
                        throw new DashboardApi.ApiException("no host holds an image " + (byId ? "" : "tagged ") + ref);
                    }
                    return new Answer(json, List.of("image id", "created", "host", "state", "last report", "tags",
                            "containers", "labels"), rows, List.of("image_id", "created", "host_id", "stale",
                            "last_report_at", "repo_tags", "containers", "labels"), csv);
                });
            }
        }
    }

    /** {@code hosts list}: every host, as {@code /api/v1/hosts} lists them (sorted by host ID). */
    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"Every host the dashboard knows: state, last report, Docker version, storage driver, "
                    + "images, labels.", "JSON: the hosts of /api/v1/hosts, every page in one array."})
    static final class HostsList implements Callable<Integer> {
        @picocli.CommandLine.Mixin(name = "api")
        ApiOptionsMixin api;

        @Override
        public Integer call() throws Exception {
            ApiOptionsMixin o = api;
            return run(o, () -> {
                DashboardApi d = new DashboardApi(o.url);
                ArrayNode hosts = d.all("/api/v1/hosts?" + DashboardApi.labelParams(o.labels), "cursor", "hosts", "next", null);
                Instant now = Instant.now();
                List<List<String>> rows = new ArrayList<>();
                List<List<String>> csv = new ArrayList<>();
                for (JsonNode h : hosts) {
                    JsonNode s = h.path("status");
                    rows.add(List.of(text(s.path("hostId")), state(s), Terminal.ago(time(s.path("lastReportAt")), now),
                            text(s.path("dockerVersion")), text(s.path("storageDriver")), text(h.path("images")),
                            Terminal.humanSize(h.path("storedBytes").asLong(-1)), labels(s.path("labels"))));
                    csv.add(List.of(text(s.path("hostId")), Boolean.toString(s.path("stale").asBoolean()),
                            text(s.path("lastReportAt")), text(s.path("dockerVersion")), text(s.path("storageDriver")),
                            text(s.path("dataRoot")), text(s.path("operatingSystem")), text(h.path("images")),
                            text(h.path("layers")), text(h.path("storedBytes")), labels(s.path("labels"))));
                }
                return new Answer(hosts, List.of("host", "state", "last report", "docker", "driver", "images (-a)", "stored",
                        "labels"), rows, List.of("host_id", "stale", "last_report_at", "docker_version", "storage_driver",
                        "data_root", "operating_system", "images", "layers", "stored_bytes", "labels"), csv);
            });
        }
    }

    /** Options every query command takes. */
    static final class ApiOptionsMixin {
        @Option(names = "--url", defaultValue = "${env:LAYERATLAS_URL:-http://localhost:7070}",
                description = "The dashboard to ask. Env: LAYERATLAS_URL. Default: ${DEFAULT-VALUE}.")
        String url;

        @Option(names = "--format", defaultValue = "table", paramLabel = "FORMAT",
                description = "table (default), json or csv.")
        String format;

        @Option(names = "--label", paramLabel = "KEY=VALUE",
                description = "Only hosts carrying this label (the agent's --label); repeatable: all must match.")
        List<String> labels;
    }
}
