package io.layeratlas.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import io.layeratlas.db.testing.FleetLoader;
import io.layeratlas.testing.Fixtures;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What Docker itself said about fleet-main, read from {@code truth/*}{@code /image-inspect.json} ({@code docker image
 * inspect}: {@code Id}, {@code RepoTags}, {@code RepoDigests}, {@code Parent}, {@code Created}). The images
 * {@code docker image ls} lists without {@code -a} follow from the same file by Docker 20.10's rule (moby
 * {@code daemon/images/images.go}: an image with neither tags nor digests is skipped when another image's
 * {@code Parent} is it); {@code image-ls.jsonl} is {@code -a}'s output and lists every one of them.
 */
final class DockerTruth {
    private DockerTruth() {
    }

    /** One {@code docker image inspect} entry. */
    record Inspect(String host, String id, List<String> repoTags, List<String> repoDigests, String parent, String created,
                   List<String> diffIds) {
    }

    static List<Inspect> inspect(String host) {
        Path p = Fixtures.truth(host).resolve("image-inspect.json");
        if (!Files.exists(p)) {
            return List.of();
        }
        try {
            List<Inspect> out = new ArrayList<>();
            for (JsonNode n : LayerApiTest.JSONM.readTree(p.toFile())) {
                out.add(new Inspect(host, n.path("Id").asText(), texts(n.path("RepoTags")), texts(n.path("RepoDigests")),
                        n.path("Parent").asText(""), n.path("Created").asText(), texts(n.path("RootFS").path("Layers"))));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The image IDs {@code docker image ls} (no {@code -a}) lists on a host. */
    static Set<String> shown(String host) {
        List<Inspect> all = inspect(host);
        Set<String> parents = new HashSet<>();
        all.forEach(i -> parents.add(i.parent()));
        Set<String> out = new TreeSet<>();
        for (Inspect i : all) {
            if (!i.repoTags().isEmpty() || !i.repoDigests().isEmpty() || !parents.contains(i.id())) {
                out.add(i.id());
            }
        }
        return out;
    }

    /** The hosts holding each image under {@code tag} (exact tag text), by image ID; modern hosts only. */
    static Map<String, Set<String>> hostsByImageForTag(String tag) {
        Map<String, Set<String>> out = new TreeMap<>();
        for (String host : Fixtures.fleetMainHosts()) {
            for (Inspect i : inspect(host)) {
                if (i.repoTags().contains(tag)) {
                    out.computeIfAbsent(i.id(), k -> new TreeSet<>()).add(host);
                }
            }
        }
        return out;
    }

    /** Hosts whose truth lacks store image IDs (legacy-01) holding {@code tag}. */
    static Set<String> legacyHostsWithTag(String tag) {
        Set<String> out = new TreeSet<>();
        for (FleetLoader.TruthImage i : FleetLoader.truthImages()) {
            if (!FleetLoader.truthHasStoreIds(i.host()) && i.repoTags().contains(tag)) {
                out.add(i.host());
            }
        }
        return out;
    }

    private static List<String> texts(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.forEach(v -> out.add(v.asText()));
        return out;
    }
}
