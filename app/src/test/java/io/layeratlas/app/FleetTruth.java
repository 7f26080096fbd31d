package io.layeratlas.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layeratlas.testing.Fixtures;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What Docker reported for the fleet-main hosts ({@code truth/}), and the same question asked of a running
 * dashboard: diff ID → host → image IDs on that host whose {@code RootFS.Layers} contain it.
 */
final class FleetTruth {
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * The truth's legacy image IDs are the configs' digests from before the layout was made; Docker's own v1→v2
     * migration (and so the reader) derives different ones from the v1 JSON, so for legacy-01 only the host is compared.
     */
    static final String LEGACY_IMAGES = "(legacy-01 images)";

    private FleetTruth() {
    }

    /** diff ID → host → image IDs, as Docker reported for {@code hosts}. */
    static Map<String, Map<String, Set<String>>> read(Iterable<String> hosts) {
        Map<String, Map<String, Set<String>>> truth = new TreeMap<>();
        try {
            for (String host : hosts) {
                Path inspect = Fixtures.truth(host).resolve("image-inspect.json");
                if (Files.exists(inspect)) {
                    for (JsonNode image : JSON.readTree(inspect.toFile())) {
                        for (JsonNode layer : image.path("RootFS").path("Layers")) {
                            truth.computeIfAbsent(layer.asText(), k -> new TreeMap<>())
                                    .computeIfAbsent(host, k -> new TreeSet<>()).add(image.get("Id").asText());
                        }
                    }
                } else { // legacy-01: the images the pre-1.10 layout was laid out from
                    for (JsonNode image : JSON.readTree(Fixtures.truth(host).resolve("images.json").toFile())) {
                        for (JsonNode diffId : image.path("diffIds")) {
                            truth.computeIfAbsent(diffId.asText(), k -> new TreeMap<>())
                                    .computeIfAbsent(host, k -> new TreeSet<>()).add(LEGACY_IMAGES);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return truth;
    }

    /** host → images holding {@code digest}, from the dashboard's API on {@code port}; empty unless it answers 200. */
    static Map<String, Set<String>> hostsHolding(HttpClient http, int port, String digest) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                URI.create("http://localhost:" + port + "/api/v1/layers/" + digest + "/hosts")).build(), HttpResponse.BodyHandlers.ofString());
        Map<String, Set<String>> hosts = new TreeMap<>();
        if (r.statusCode() != 200) {
            return hosts;
        }
        for (JsonNode h : JSON.readTree(r.body()).get("hosts")) {
            Set<String> images = new TreeSet<>();
            h.get("images").forEach(i -> images.add(i.isTextual() ? i.asText() : i.get("id").asText()));
            String hostId = h.get("hostId").asText();
            hosts.put(hostId, hostId.equals("legacy-01") ? Set.of(LEGACY_IMAGES) : images);
        }
        return hosts;
    }

    /** The answers of the dashboard on {@code port} for every diff ID of {@code truth}, in its shape. */
    static Map<String, Map<String, Set<String>>> asked(HttpClient http, int port, Map<String, Map<String, Set<String>>> truth)
            throws IOException, InterruptedException {
        Map<String, Map<String, Set<String>>> seen = new TreeMap<>();
        for (String diffId : truth.keySet()) {
            seen.put(diffId, hostsHolding(http, port, diffId));
        }
        return seen;
    }
}
