package io.layeratlas.ingest.dataroot;

import io.layeratlas.events.ChainIds;
import io.layeratlas.events.Digest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Writes small Docker data-roots for tests, in the layout {@link DataRootReader} reads. */
final class DataRootBuilder {
    final Path root;
    final Path driver;

    DataRootBuilder(Path root, String driverName) {
        this.root = root;
        this.driver = root.resolve("image").resolve(driverName);
        mkdirs(driver.resolve("imagedb/content/sha256"));
        mkdirs(driver.resolve("imagedb/metadata/sha256"));
        mkdirs(driver.resolve("layerdb/sha256"));
    }

    /** A diff ID made from a label, so tests need no real layer tars. */
    static Digest diffId(String label) {
        return Digest.sha256Of("layer " + label);
    }

    /** Writes layerdb entries for a stack (bottom first), each layer with the given size in bytes. */
    DataRootBuilder layers(List<Digest> diffIds, long... sizes) {
        List<Digest> chain = ChainIds.of(diffIds);
        for (int i = 0; i < chain.size(); i++) {
            Path dir = driver.resolve("layerdb/sha256").resolve(chain.get(i).hex());
            mkdirs(dir);
            write(dir.resolve("diff"), diffIds.get(i).toString());
            write(dir.resolve("size"), Long.toString(sizes[i]));
            write(dir.resolve("cache-id"), "cache" + chain.get(i).shortHex());
            if (i > 0) {
                write(dir.resolve("parent"), chain.get(i - 1).toString());
            }
        }
        return this;
    }

    /** Stores a config under its sha256, as Docker does, and returns the image ID. */
    Digest image(String configJson) {
        return image(configJson.getBytes(StandardCharsets.UTF_8));
    }

    Digest image(byte[] config) {
        Digest id = Digest.sha256Of(config);
        write(driver.resolve("imagedb/content/sha256").resolve(id.hex()), config);
        return id;
    }

    /** A config with these diff IDs and one non-empty history step per layer. */
    static String config(String created, List<Digest> diffIds) {
        List<String> steps = new ArrayList<>();
        for (int i = 0; i < diffIds.size(); i++) {
            steps.add("{\"created\":\"" + created + "\",\"created_by\":\"step " + i + "\"}");
        }
        return "{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"" + created + "\","
                + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":" + quoted(diffIds) + "},"
                + "\"history\":[" + String.join(",", steps) + "]}";
    }

    static String quoted(List<Digest> ds) {
        return "[" + String.join(",", ds.stream().map(d -> "\"" + d + "\"").toList()) + "]";
    }

    DataRootBuilder parent(Digest child, Digest parent) {
        Path dir = driver.resolve("imagedb/metadata/sha256").resolve(child.hex());
        mkdirs(dir);
        write(dir.resolve("parent"), parent.toString());
        return this;
    }

    DataRootBuilder repositories(String json) {
        write(driver.resolve("repositories.json"), json);
        return this;
    }

    DataRootBuilder container(String id, Digest image) {
        Path dir = root.resolve("containers").resolve(id);
        mkdirs(dir);
        write(dir.resolve("config.v2.json"), "{\"ID\":\"" + id + "\",\"Image\":\"" + image + "\"}");
        return this;
    }

    Path contentFile(Digest id) {
        return driver.resolve("imagedb/content/sha256").resolve(id.hex());
    }

    static void write(Path p, String s) {
        write(p, s.getBytes(StandardCharsets.UTF_8));
    }

    static void write(Path p, byte[] b) {
        try {
            Files.createDirectories(p.getParent());
            Files.write(p, b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void mkdirs(Path p) {
        try {
            Files.createDirectories(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
