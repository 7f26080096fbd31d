package io.layeratlas.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layeratlas.testing.Fixtures;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Docker's own answers for a fleet-main host ({@code truth/<host>/}), read with Jackson. */
public final class DockerTruth {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path dir;

    private DockerTruth(Path dir) {
        this.dir = dir;
    }

    public static DockerTruth of(String host) {
        return new DockerTruth(Fixtures.truth(host));
    }

    /** {@code image-inspect.json} by image ID. */
    public Map<String, JsonNode> inspect() {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        read("image-inspect.json").forEach(n -> out.put(n.get("Id").asText(), n));
        return out;
    }

    /** {@code api/history.jsonl}: image ID to its history, newest first as the API gives it. */
    public Map<String, List<JsonNode>> history() {
        Map<String, List<JsonNode>> out = new LinkedHashMap<>();
        for (JsonNode line : lines("api/history.jsonl")) {
            List<JsonNode> steps = new ArrayList<>();
            line.get("history").forEach(steps::add);
            out.put(line.get("id").asText(), steps);
        }
        return out;
    }

    /** {@code api/system-df.json}'s {@code Images}, by image ID. */
    public Map<String, JsonNode> systemDfImages() {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        read("api/system-df.json").get("Images").forEach(n -> out.put(n.get("Id").asText(), n));
        return out;
    }

    public JsonNode read(String file) {
        try {
            return JSON.readTree(dir.resolve(file).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public List<JsonNode> lines(String file) {
        try {
            List<JsonNode> out = new ArrayList<>();
            for (String l : Files.readAllLines(dir.resolve(file))) {
                if (!l.isBlank()) {
                    out.add(JSON.readTree(l));
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
