package io.layeratlas.ingest.packages;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Two tiny packages built by the real {@code rpmbuild}: one with an epoch (noarch), one without (x86_64). */
final class RpmBuilds {
    private RpmBuilds() {
    }

    static List<String> build(Path top) throws IOException {
        Files.createDirectories(top.resolve("SPECS"));
        Files.writeString(top.resolve("SPECS/la-hello.spec"), """
                Name: la-hello
                Version: 1.2.3
                Release: 4.test
                Epoch: 2
                Summary: LayerAtlas test package with an epoch
                License: MIT
                BuildArch: noarch
                %description
                test
                %files
                """);
        Files.writeString(top.resolve("SPECS/la-tool.spec"), """
                Name: la-tool
                Version: 3.0.7
                Release: 1.el9~rc1
                Summary: LayerAtlas test package without an epoch
                License: MIT
                %description
                test
                %files
                """);
        Tools.run("rpmbuild", "--define", "_topdir " + top, "-bb", top.resolve("SPECS/la-hello.spec").toString());
        Tools.run("rpmbuild", "--define", "_topdir " + top, "--target", "x86_64", "-bb",
                top.resolve("SPECS/la-tool.spec").toString());
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(top.resolve("RPMS"))) {
            s.filter(p -> p.toString().endsWith(".rpm")).sorted().forEach(p -> out.add(p.toString()));
        }
        return out;
    }
}
