package io.layeratlas.bench.dataroot;

import io.layeratlas.bench.simulate.CatalogImage;
import io.layeratlas.bench.simulate.CatalogLayer;
import io.layeratlas.bench.simulate.ImageCatalog;
import io.layeratlas.bench.simulate.SimulationSpec;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.zip.GZIPOutputStream;

/**
 * Writes a Docker data-root (overlay2 driver) holding catalog images, laid out byte for byte as Docker Engine 20.10
 * writes it, for the agent-scan benchmark and reader tests:
 * <pre>
 * image/overlay2/repositories.json                               tags and repo digests (Go map: keys sorted)
 * image/overlay2/imagedb/content/sha256/&lt;image id&gt;             the config JSON; sha256 of the file = the name
 * image/overlay2/imagedb/metadata/sha256/&lt;id&gt;/{parent,lastUpdated}  local parent (locally built images only)
 * image/overlay2/layerdb/sha256/&lt;chain id&gt;/{cache-id,diff,parent,size,tar-split.json.gz}
 * image/overlay2/layerdb/mounts/&lt;container id&gt;/{init-id,mount-id,parent}, layerdb/tmp/
 * image/overlay2/distribution/{diffid-by-digest,v2metadata-by-diffid}/sha256/…
 * overlay2/&lt;cache id&gt;/{diff/,link,lower,committed,work/}, overlay2/l/&lt;link id&gt; -&gt; ../&lt;cache id&gt;/diff
 * </pre>
 * (moby: image/fs.go, layer/filestore.go, distribution/metadata/, daemon/graphdriver/overlay2/overlay.go.)
 * Metadata files have no trailing newline, digests are {@code sha256:<hex>}, sizes decimal bytes, as Docker writes.
 *
 * <p>Layer contents are not materialised, except package databases: a base layer (no parent) holds a dpkg
 * {@code var/lib/dpkg/status} of {@value #BASE_PACKAGES} installed packages (a slim Debian base), and every fifth upper
 * layer one with {@value #ADDED_PACKAGES} more (an {@code apt-get install} step rewrites the whole file), in the
 * format and size per package of a real status file; other {@code diff/} folders are empty. {@code tar-split.json.gz} describes a
 * one-file tar of the layer's size whose CRC is zero, so {@code tar-split asm} does not reproduce the diff ID. A
 * reader that hashes layer content cannot be benchmarked on this; one that reads metadata (the agent's data-root
 * reader) sees exactly what Docker would give it. Not thread-safe; one generator per folder.
 */
public final class DataRootGenerator {
    /** The storage driver folder name. */
    public static final String DRIVER = "overlay2";
    private static final String BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    /** Packages of a base layer's dpkg status: Debian's slim base has 80-90. */
    static final int BASE_PACKAGES = 85;
    /** Packages an {@code apt-get install} layer adds. */
    static final int ADDED_PACKAGES = 12;
    /** Binary package names of a Debian base; more are numbered after them. */
    private static final String[] PACKAGE_NAMES = {"adduser", "apt", "base-files", "base-passwd", "bash", "bsdutils",
            "coreutils", "dash", "debconf", "debian-archive-keyring", "debianutils", "diffutils", "dpkg", "e2fsprogs",
            "findutils", "gcc-12-base", "gpgv", "grep", "gzip", "hostname", "init-system-helpers", "libacl1", "libapt-pkg6.0",
            "libattr1", "libaudit-common", "libaudit1", "libblkid1", "libbz2-1.0", "libc-bin", "libc6", "libcap-ng0",
            "libcap2", "libcom-err2", "libcrypt1", "libdb5.3", "libdebconfclient0", "libext2fs2", "libffi8", "libgcc-s1",
            "libgcrypt20", "libgmp10", "libgnutls30", "libgpg-error0", "libhogweed6", "libidn2-0", "liblz4-1",
            "liblzma5", "libmd0", "libmount1", "libnettle8", "libp11-kit0", "libpam-modules", "libpam-runtime",
            "libpam0g", "libpcre2-8-0", "libseccomp2", "libselinux1", "libsemanage2", "libsepol2", "libsmartcols1",
            "libss2", "libssl3", "libstdc++6", "libsystemd0", "libtasn1-6", "libtinfo6", "libudev1", "libunistring2",
            "libuuid1", "libxxhash0", "libzstd1", "login", "logsave", "mawk", "mount", "ncurses-base", "ncurses-bin",
            "openssl", "passwd", "perl-base", "sed", "sysvinit-utils", "tar", "tzdata", "usr-is-merged", "util-linux",
            "zlib1g", "ca-certificates", "curl", "libcurl4", "libnghttp2-14", "libpsl5", "librtmp1", "libssh2-1"};

    private final ImageCatalog catalog;

    public DataRootGenerator(ImageCatalog catalog) {
        this.catalog = catalog;
    }

    /**
     * What was written.
     *
     * @param dataRoot the data-root folder (what {@code /var/lib/docker} would be)
     * @param images   catalog indices of the images written, ascending
     * @param layers   layers written (distinct chain IDs)
     * @param files    regular files written
     * @param bytes    bytes of those files
     */
    public record Result(Path dataRoot, int[] images, int layers, int files, long bytes) {
    }

    /**
     * A data-root with {@code imageCount} images drawn by popularity from a catalog sized for it.
     * About 1.5 s and 60 MB of small files for 1,000 images.
     */
    public static Result generate(Path dataRoot, int imageCount, long seed) {
        ImageCatalog catalog = ImageCatalog.generate(SimulationSpec.of(seed, 1, Math.max(1, imageCount / 2))
                .withSeed(seed));
        if (catalog.familyCount() < imageCount) {
            SimulationSpec s = SimulationSpec.of(seed, 1, 1);
            catalog = ImageCatalog.generate(new SimulationSpec(seed, 1, 1, s.baseImages(), s.runtimeImages(),
                    imageCount * 2, s.maxVersions(), s.zipfExponent(), 0, 0, s.maxMessageBytes(), false,
                    s.hostIdPrefix(), "", s.startAt(), s.scanInterval()));
        }
        return new DataRootGenerator(catalog).write(dataRoot, catalog.sampleImages(imageCount, seed), seed);
    }

    /** Writes these catalog images (and all their layers) into a new data-root folder. */
    public Result write(Path dataRoot, int[] imageIndices, long seed) {
        try {
            return new Writer(dataRoot, seed).write(imageIndices.clone());
        } catch (IOException e) {
            throw new UncheckedIOException("writing data-root " + dataRoot + " failed: " + e.getMessage(), e);
        }
    }

    private final class Writer {
        private final Path root;
        private final Path image;
        private final SplittableRandom rng;
        private int files;
        private long bytes;

        Writer(Path root, long seed) {
            this.root = root;
            this.image = root.resolve("image").resolve(DRIVER);
            this.rng = new SplittableRandom(seed ^ 0x5DEECE66DL);
        }

        Result write(int[] indices) throws IOException {
            Arrays.sort(indices);
            for (String dir : List.of("buildkit", "containerd", "containers", "network", "plugins", "runtimes", "swarm",
                    "tmp", "trust", "volumes", "overlay2/l", "image/overlay2/layerdb/tmp",
                    "image/overlay2/layerdb/mounts", "image/overlay2/imagedb/content/sha256",
                    "image/overlay2/imagedb/metadata/sha256", "image/overlay2/distribution/diffid-by-digest/sha256",
                    "image/overlay2/distribution/v2metadata-by-diffid/sha256")) {
                Files.createDirectories(root.resolve(dir));
            }
            BitSet present = new BitSet();
            for (int i : indices) {
                present.set(i);
            }
            BitSet layersDone = new BitSet();
            Map<Integer, String> linkOf = new TreeMap<>();
            Map<Integer, String> cacheOf = new TreeMap<>();
            // Go marshals map[string]map[string]digest with sorted keys at both levels.
            TreeMap<String, TreeMap<String, String>> repositories = new TreeMap<>();
            TreeMap<String, List<String[]>> v2metadata = new TreeMap<>();
            int layers = 0;
            for (int i : indices) {
                CatalogImage img = catalog.image(i);
                String hex = img.id().hex();
                writeFile(image.resolve("imagedb/content/sha256").resolve(hex), img.configBytes(), "rw-------");
                Path meta = image.resolve("imagedb/metadata/sha256").resolve(hex);
                // A locally built image (its FROM image is on the host too) records its parent; pulled ones do not.
                if (img.parentImage() >= 0 && present.get(img.parentImage()) && rng.nextDouble() < 0.3) {
                    Files.createDirectories(meta);
                    writeFile(meta.resolve("parent"), ascii(catalog.image(img.parentImage()).id().toString()), "rw-------");
                } else {
                    // Pulled: tagged with a repo digest, sometimes an extra tag, sometimes re-pulled (lastUpdated).
                    double u = rng.nextDouble();
                    if (u < 0.9) {
                        repositories.computeIfAbsent(img.repository(), k -> new TreeMap<>())
                                .put(img.reference(), img.id().toString());
                        repositories.get(img.repository()).put(img.repoDigest(), img.id().toString());
                    }
                    if (u < 0.1) {
                        repositories.get(img.repository()).put(img.repository() + ":latest", img.id().toString());
                    }
                    if (u >= 0.9 && u < 0.95) {
                        // `docker load`ed: a tag but no repo digest.
                        repositories.computeIfAbsent(img.repository(), k -> new TreeMap<>())
                                .put(img.reference(), img.id().toString());
                    }
                    if (rng.nextDouble() < 0.2) {
                        Files.createDirectories(meta);
                        writeFile(meta.resolve("lastUpdated"), ascii(goTime(Instant.parse("2026-01-05T06:00:00Z")
                                .plusNanos(rng.nextLong(86_400_000_000_000L)))), "rw-------");
                    }
                }
                for (int l : img.layers()) {
                    if (!layersDone.get(l)) {
                        layersDone.set(l);
                        writeLayer(catalog.layer(l), linkOf, cacheOf);
                        layers++;
                        CatalogLayer layer = catalog.layer(l);
                        v2metadata.computeIfAbsent(layer.diffId().hex(), k -> new ArrayList<>())
                                .add(new String[]{layer.blobDigest().toString(), img.repository()});
                    }
                }
            }
            for (var e : v2metadata.entrySet()) {
                StringBuilder json = new StringBuilder("[");
                String blob = null;
                for (String[] m : e.getValue()) {
                    json.append(json.length() > 1 ? "," : "").append("{\"Digest\":\"").append(m[0])
                            .append("\",\"SourceRepository\":\"").append(m[1]).append("\",\"HMAC\":\"\"}");
                    blob = m[0];
                }
                writeFile(image.resolve("distribution/v2metadata-by-diffid/sha256").resolve(e.getKey()),
                        ascii(json.append(']').toString()), "rw-r--r--");
                writeFile(image.resolve("distribution/diffid-by-digest/sha256").resolve(blob.substring("sha256:".length())),
                        ascii("sha256:" + e.getKey()), "rw-r--r--");
            }
            StringBuilder repos = new StringBuilder("{\"Repositories\":{");
            boolean firstRepo = true;
            for (var repo : repositories.entrySet()) {
                repos.append(firstRepo ? "" : ",").append('"').append(repo.getKey()).append("\":{");
                boolean first = true;
                for (var ref : repo.getValue().entrySet()) {
                    repos.append(first ? "" : ",").append('"').append(ref.getKey()).append("\":\"")
                            .append(ref.getValue()).append('"');
                    first = false;
                }
                repos.append('}');
                firstRepo = false;
            }
            writeFile(image.resolve("repositories.json"), ascii(repos.append("}}").toString()), "rw-------");
            // One created container per hundred images (at least one), as a host that runs some of what it holds.
            int containers = Math.max(1, indices.length / 100);
            for (int c = 0; c < containers && indices.length > 0; c++) {
                writeContainer(catalog.image(indices[c * indices.length / containers]), linkOf, cacheOf);
            }
            return new Result(root, indices, layers, files, bytes);
        }

        private void writeLayer(CatalogLayer layer, Map<Integer, String> linkOf, Map<Integer, String> cacheOf)
                throws IOException {
            Path dir = image.resolve("layerdb/sha256").resolve(layer.chainId().hex());
            Files.createDirectories(dir);
            String cacheId = hex64();
            cacheOf.put(layer.index(), cacheId);
            writeFile(dir.resolve("cache-id"), ascii(cacheId), "rw-r--r--");
            writeFile(dir.resolve("diff"), ascii(layer.diffId().toString()), "rw-r--r--");
            if (layer.parent() >= 0) {
                writeFile(dir.resolve("parent"), ascii(catalog.layer(layer.parent()).chainId().toString()), "rw-r--r--");
            }
            writeFile(dir.resolve("size"), ascii(Long.toString(layer.size())), "rw-r--r--");
            writeFile(dir.resolve("tar-split.json.gz"), tarSplit(layer), "rw-r--r--");
            String link = driverFolder(cacheId, layer.parent() < 0 ? null : lowerOf(layer.parent(), linkOf));
            linkOf.put(layer.index(), link);
            if (layer.parent() < 0 || layer.index() % 5 == 0) {
                Path dpkg = root.resolve("overlay2").resolve(cacheId).resolve("diff/var/lib/dpkg");
                Files.createDirectories(dpkg);
                writeFile(dpkg.resolve("status"), dpkgStatus(layer.index(),
                        layer.parent() < 0 ? BASE_PACKAGES : BASE_PACKAGES + ADDED_PACKAGES), "rw-r--r--");
            }
        }

        /** A dpkg status file of {@code count} installed packages, stanzas shaped like Debian's. */
        private static byte[] dpkgStatus(int layerIndex, int count) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < count; i++) {
                String name = i < PACKAGE_NAMES.length ? PACKAGE_NAMES[i] : "lib" + PACKAGE_NAMES[i % PACKAGE_NAMES.length] + i;
                String version = (i % 7 == 0 ? "1:" : "") + (1 + i % 5) + "." + (layerIndex % 13) + "." + (i % 9)
                        + "-" + (1 + i % 3) + (i % 4 == 0 ? "~deb12u1" : "");
                sb.append("Package: ").append(name).append('\n')
                        .append("Status: install ok installed\n")
                        .append("Priority: ").append(i % 3 == 0 ? "required" : "optional").append('\n')
                        .append("Section: ").append(i % 2 == 0 ? "libs" : "admin").append('\n')
                        .append("Installed-Size: ").append(100 + (i * 37) % 4000).append('\n')
                        .append("Maintainer: Debian Maintainers <debian-devel@lists.debian.org>\n")
                        .append("Architecture: amd64\n")
                        .append(i % 3 == 0 ? "Source: " + name.replaceAll("[0-9.-]+$", "") + "\n" : "")
                        .append("Version: ").append(version).append('\n')
                        .append("Depends: libc6 (>= 2.34)").append(i % 2 == 0 ? ", zlib1g (>= 1:1.2.0)" : "").append('\n')
                        .append("Description: package ").append(name).append(" of a generated data-root\n")
                        .append(" A longer description continues on indented lines, as dpkg keeps it.\n")
                        .append("Homepage: https://packages.debian.org/").append(name).append("\n\n");
            }
            return sb.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }

        /** {@code l/A:l/B:…}: this layer's lower folders, nearest first (overlay2's {@code lower} file). */
        private String lowerOf(int parent, Map<Integer, String> linkOf) {
            StringBuilder sb = new StringBuilder();
            for (int l = parent; l >= 0; l = catalog.layer(l).parent()) {
                sb.append(sb.length() == 0 ? "" : ":").append("l/").append(linkOf.get(l));
            }
            return sb.toString();
        }

        /** {@code overlay2/<id>/{diff/,link,lower,committed,work/}} and the {@code l/} symlink; returns the link ID. */
        private String driverFolder(String id, String lower) throws IOException {
            Path dir = root.resolve("overlay2").resolve(id);
            Files.createDirectories(dir.resolve("diff"));
            String link = linkId();
            writeFile(dir.resolve("link"), ascii(link), "rw-r--r--");
            if (lower != null) {
                writeFile(dir.resolve("lower"), ascii(lower), "rw-r--r--");
                Files.createDirectories(dir.resolve("work"));
            }
            writeFile(dir.resolve("committed"), new byte[0], "rw-------");
            Files.createSymbolicLink(root.resolve("overlay2/l").resolve(link), Path.of("..", id, "diff"));
            return link;
        }

        private void writeContainer(CatalogImage img, Map<Integer, String> linkOf, Map<Integer, String> cacheOf)
                throws IOException {
            String containerId = hex64();
            String mountId = hex64();
            int top = img.layers()[img.layers().length - 1];
            Path dir = image.resolve("layerdb/mounts").resolve(containerId);
            Files.createDirectories(dir);
            writeFile(dir.resolve("init-id"), ascii(mountId + "-init"), "rw-r--r--");
            writeFile(dir.resolve("mount-id"), ascii(mountId), "rw-r--r--");
            writeFile(dir.resolve("parent"), ascii(catalog.layer(top).chainId().toString()), "rw-r--r--");
            String initLink = driverFolder(mountId + "-init", lowerOf(top, linkOf));
            linkOf.put(-1, initLink);
            driverFolder(mountId, "l/" + initLink + ":" + lowerOf(top, linkOf));
            Files.createDirectories(root.resolve("containers").resolve(containerId));
        }

        private void writeFile(Path path, byte[] content, String perms) throws IOException {
            Files.write(path, content);
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(perms));
            files++;
            bytes += content.length;
        }

        private String hex64() {
            StringBuilder sb = new StringBuilder(64);
            for (int i = 0; i < 4; i++) {
                String part = Long.toHexString(rng.nextLong());
                sb.append("0".repeat(16 - part.length())).append(part);
            }
            return sb.toString();
        }

        /** 26 base32 characters, as overlay2's link IDs (overlay.go generateID(idLength)). */
        private String linkId() {
            StringBuilder sb = new StringBuilder(26);
            for (int i = 0; i < 26; i++) {
                sb.append(BASE32.charAt(rng.nextInt(32)));
            }
            return sb.toString();
        }
    }

    /**
     * A tar-split stream (vbatts/tar-split, tar/storage: one JSON entry a line, type 1 = file, 2 = raw segment)
     * for a one-file tar of the layer's size, gzipped as Docker stores it.
     */
    static byte[] tarSplit(CatalogLayer layer) throws IOException {
        String name = "opt/layer-" + layer.diffId().hex().substring(0, 12) + ".bin";
        byte[] header = tarHeader(name, layer.size());
        int padding = (int) ((512 - layer.size() % 512) % 512);
        Base64.Encoder b64 = Base64.getEncoder();
        String lines = "{\"type\":2,\"payload\":\"" + b64.encodeToString(header) + "\",\"position\":0}\n"
                + "{\"type\":1,\"name\":\"" + name + "\",\"size\":" + layer.size()
                + ",\"payload\":\"" + b64.encodeToString(new byte[8]) + "\",\"position\":1}\n"
                + "{\"type\":2,\"payload\":\"" + b64.encodeToString(new byte[padding + 1024]) + "\",\"position\":2}\n"
                + "{\"type\":2,\"payload\":\"\",\"position\":3}\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(lines.getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }

    /** A POSIX ustar header for a regular file, mode 0644, owner root, mtime 2026-01-05. */
    static byte[] tarHeader(String name, long size) {
        byte[] h = new byte[512];
        put(h, 0, name);
        put(h, 100, "0000644\0");
        put(h, 108, "0000000\0");
        put(h, 116, "0000000\0");
        put(h, 124, String.format("%011o", size) + "\0");
        put(h, 136, String.format("%011o", 1_767_592_800L) + "\0");
        put(h, 148, "        ");
        h[156] = '0';
        put(h, 257, "ustar\0" + "00");
        put(h, 265, "root");
        put(h, 297, "root");
        put(h, 329, "0000000\0");
        put(h, 337, "0000000\0");
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        put(h, 148, String.format("%06o", sum) + "\0 ");
        return h;
    }

    private static void put(byte[] h, int at, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, at, b.length);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static String goTime(Instant t) {
        String s = t.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        if (t.getNano() == 0) {
            return s;
        }
        return s.substring(0, s.length() - 1) + "." + String.format("%09d", t.getNano()).replaceFirst("0+$", "") + "Z";
    }
}
