package io.layeratlas.app;

import io.layeratlas.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Third-party libraries stay at the edge that needs them (STYLE.md "Layout"; Kafka states the same rules in
 * checkstyle's import-control.xml). A rule maps an import prefix to the only source folders allowed to use it.
 */
class ImportRulesTest {
    private static final Map<String, List<String>> ALLOWED = Map.of(
            // Layer tar streams: the archive readers, and the package readers that look into a layer's tar (read
            // on its own, or fed the entries of the archive readers' one walk over it).
            "org.apache.commons.compress", List.of("ingest/src/main/java/io/layeratlas/ingest/archive/",
                    "ingest/src/main/java/io/layeratlas/ingest/packages/LayerPackageReader.java",
                    "ingest/src/main/java/io/layeratlas/ingest/packages/TarLayerDatabases.java"),
            "com.github.luben", List.of("ingest/src/main/java/io/layeratlas/ingest/archive/"),
            // JDBC: the index, and the one reader of rpm's sqlite package database.
            "java.sql", List.of("db/src/main/java/", "bench/src/main/java/", "app/src/main/java/",
                    "ingest/src/main/java/io/layeratlas/ingest/packages/RpmDatabase.java"),
            "io.javalin", List.of("dashboard/src/main/java/", "app/src/main/java/"),
            "org.apache.kafka", List.of("ingest/src/main/java/io/layeratlas/ingest/agent/", "indexer/src/main/java/",
                    "topics/src/main/java/", "embedded/src/main/java/", "bench/src/main/java/", "app/src/main/java/"),
            "com.github.dockerjava", List.of("ingest/src/main/java/io/layeratlas/ingest/agent/",
                    "ingest/src/main/java/io/layeratlas/ingest/engine/", "ingest/src/main/java/io/layeratlas/ingest/internal/"),
            "picocli", List.of("app/src/main/java/", "agent/src/main/java/"),
            "org.flywaydb", List.of("db/src/main/java/io/layeratlas/db/Database.java"),
            "io.zonky", List.of("embedded/src/main/java/"));

    @Test
    void third_party_libraries_are_imported_only_where_the_layout_says() throws IOException {
        Path root = Fixtures.projectRoot();
        List<String> violations = new ArrayList<>();
        int files = 0;
        try (Stream<Path> sources = Files.walk(root)) {
            for (Path file : sources.filter(p -> p.toString().endsWith(".java"))
                    .filter(p -> root.relativize(p).toString().contains("/src/main/java/")).toList()) {
                files++;
                String rel = root.relativize(file).toString();
                for (String line : read(file)) {
                    if (!line.startsWith("import ")) {
                        continue;
                    }
                    String imported = line.substring("import ".length()).replace("static ", "");
                    ALLOWED.forEach((prefix, where) -> {
                        if (imported.startsWith(prefix + ".") && where.stream().noneMatch(rel::startsWith)) {
                            violations.add(rel + ": " + line);
                        }
                    });
                }
            }
        }
        assertThat(files).as("main source files checked").isGreaterThan(100);
        assertThat(violations).isEmpty();
    }

    private static List<String> read(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
