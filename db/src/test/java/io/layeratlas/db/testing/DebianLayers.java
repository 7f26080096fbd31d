package io.layeratlas.db.testing;

import io.layeratlas.events.ChainIds;
import io.layeratlas.events.Digest;
import io.layeratlas.events.ImageConfigEvent;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.db.index.SyntheticFleet;
import io.layeratlas.events.InstalledPackage;
import io.layeratlas.events.LayerAtlasEvent;
import io.layeratlas.events.LayerPackages;
import io.layeratlas.events.PackageDatabase;
import io.layeratlas.events.PackageEcosystem;
import io.layeratlas.testing.DebianRoots;
import io.layeratlas.testing.Requires;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Real Debian layers for the package tests: root file systems made by {@code mmdebstrap --variant=minbase
 * --include=openssl SUITE} as tar files, built once into {@value #CACHE} (as the trixie chroot of the containerd
 * test is) and reused. A tar file is a real layer: its diff ID is the sha256 of its bytes. The packages of its
 * {@code var/lib/dpkg/status} are what {@code dpkg-query -W --admindir=…} lists, run by the test: the truth the
 * events are made from (the agent's own reader is pkg-agent's; these events stand in for it, as the contract shapes
 * them). Where the tools are missing the test is skipped, or fails under {@code CI=true} ({@link Requires}).
 */
public final class DebianLayers {
    /** Where the root tars are cached ({@link DebianRoots}). */
    public static final String CACHE = DebianRoots.CACHE;
    public static final Instant READ_AT = Instant.parse("2026-12-02T07:00:00Z");

    private DebianLayers() {
    }

    /** A real layer: its diff ID and the packages dpkg-query lists from its status file. */
    public record Layer(String name, Digest diffId, List<InstalledPackage> packages) {
        /** The layer-packages event an agent sends for it: its dpkg status file, present. */
        public LayerPackages event() {
            return LayerPackages.of(diffId, "test-agent/1", READ_AT, List.of(PackageDatabase.present(PackageEcosystem.DPKG,
                    "var/lib/dpkg/status", packages)), List.of());
        }

        /** The version of a binary package in it, from dpkg-query. */
        public String version(String binary) {
            return packages.stream().filter(p -> p.name().equals(binary)).map(InstalledPackage::version).findFirst()
                    .orElseThrow(() -> new AssertionError(name + " has no " + binary));
        }
    }

    /**
     * The minbase root of {@code suite} with openssl, read into {@code work}.
     *
     * @param suite a Debian suite ({@code bookworm}, {@code trixie})
     */
    public static Layer minbase(String suite, Path work) throws IOException, InterruptedException {
        Requires.executable("/usr/bin/dpkg-query", "dpkg");
        Path tar = DebianRoots.minbaseTar(suite);
        Digest diffId;
        try (InputStream in = new DigestInputStream(Files.newInputStream(tar), Digest.sha256())) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            diffId = Digest.sha256Of(((DigestInputStream) in).getMessageDigest());
        }
        Path admin = DebianRoots.extractDpkgAdmin(tar, work.resolve(suite));
        return new Layer(suite, diffId, DebianRoots.dpkgQuery(admin));
    }

    /**
     * A small fleet over the two real layers: images {@code shop/api:1.0} (bookworm + an app layer),
     * {@code shop/api:2.0} (bookworm, trixie on it, the app layer), {@code debian:bookworm}, {@code debian:trixie}, on
     * four hosts; and the events that describe it, layer-packages events before and after the images they belong to.
     *
     * @param topStatus per image tag, the layer whose status file is topmost (the contract's rule, applied by hand)
     */
    public record Fleet(Layer bookworm, Layer trixie, Digest app, Map<String, ImageConfigEvent> images,
                        Map<String, List<String>> hosts, Map<String, Layer> topStatus, List<LayerAtlasEvent> events) {

        /** The image IDs whose topmost status file has {@code binary} at a version for which {@code dpkg --compare-versions v op version} holds. */
        public Set<String> imagesWhere(String binary, String op, String version) throws IOException, InterruptedException {
            Set<String> out = new TreeSet<>();
            for (var e : topStatus.entrySet()) {
                if (dpkgCompare(e.getValue().version(binary), op, version)) {
                    out.add(images.get(e.getKey()).imageId().toString());
                }
            }
            return out;
        }

        /** The hosts holding one of {@code imageIds}, sorted. */
        public Set<String> hostsHolding(Set<String> imageIds) {
            Set<String> out = new TreeSet<>();
            hosts.forEach((host, held) -> held.forEach(t -> {
                if (imageIds.contains(images.get(t).imageId().toString())) {
                    out.add(host);
                }
            }));
            return out;
        }
    }

    /** The fleet of {@link Fleet}, its layers read into {@code work}. */
    public static Fleet fleet(Path work) throws IOException, InterruptedException {
        Layer bookworm = minbase("bookworm", work);
        Layer trixie = minbase("trixie", work);
        Digest app = Digest.sha256Of("COPY app /app");
        Map<String, ImageConfigEvent> images = new LinkedHashMap<>();
        images.put("shop/api:1.0", image("shop/api:1.0", List.of(bookworm.diffId(), app)));
        images.put("debian:trixie", image("debian:trixie", List.of(trixie.diffId())));
        images.put("shop/api:2.0", image("shop/api:2.0", List.of(bookworm.diffId(), trixie.diffId(), app)));
        images.put("debian:bookworm", image("debian:bookworm", List.of(bookworm.diffId())));
        Map<String, List<String>> hosts = new TreeMap<>(Map.of("web-01", List.of("shop/api:1.0"),
                "web-02", List.of("shop/api:2.0"), "web-03", List.of("debian:trixie", "debian:bookworm"),
                "web-04", List.of("debian:trixie")));
        Map<String, Layer> topStatus = Map.of("shop/api:1.0", bookworm, "debian:trixie", trixie,
                "shop/api:2.0", trixie, "debian:bookworm", bookworm);
        List<LayerAtlasEvent> events = new ArrayList<>();
        events.add(bookworm.event());             // a layer before any image that has it
        events.addAll(images.values());
        hosts.forEach((host, held) -> events.add(SyntheticFleet.snapshot(host, 1,
                held.stream().map(t -> images.get(t).image()).toList())));
        events.add(trixie.event());               // and a layer after its images
        events.add(LayerPackages.of(app, "test-agent/1", READ_AT, List.of(), List.of()));
        events.add(bookworm.event());             // sent twice: read once
        return new Fleet(bookworm, trixie, app, images, hosts, topStatus, events);
    }

    /** Whether {@code dpkg --compare-versions a op b} holds ({@code op}: lt, le, eq, ge, gt): dpkg's own answer. */
    public static boolean dpkgCompare(String a, String op, String b) throws IOException, InterruptedException {
        return new ProcessBuilder("dpkg", "--compare-versions", a, op, b).start().waitFor() == 0;
    }

    /** An image config event with this stack, and the image it describes. */
    public static ImageConfigEvent image(String name, List<Digest> diffIds) {
        StringBuilder config = new StringBuilder("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\""
                + name + "\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[");
        for (int i = 0; i < diffIds.size(); i++) {
            config.append(i == 0 ? "" : ",").append('"').append(diffIds.get(i)).append('"');
        }
        config.append("]}}");
        ImageRecord record = new ImageRecord(Digest.sha256Of(config.toString()), List.of(name), List.of(), null, READ_AT,
                -1, diffIds, ChainIds.of(diffIds), List.of(), 0, -1, -1, "linux", "amd64");
        return ImageConfigEvent.of(config.toString(), record);
    }
}
