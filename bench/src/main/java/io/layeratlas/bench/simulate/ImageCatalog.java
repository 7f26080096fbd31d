package io.layeratlas.bench.simulate;

import io.layeratlas.ingest.internal.GoJson;

import io.layeratlas.events.Digest;
import io.layeratlas.events.HistoryEntry;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.PackageDatabase;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * The images a simulated fleet pulls: base images, runtimes built FROM a base, and applications built FROM a runtime
 * or a base, in versions that share everything but their top layers. Derived images repeat their parent's diff IDs,
 * so their chain IDs share the parent's prefix exactly as in Docker. Configs are real Docker config JSON (classic
 * builder or BuildKit style, {@code rootfs.diff_ids}, {@code history} with empty layers) whose sha256 is the image ID.
 *
 * <p>Built once from a {@link SimulationSpec}, deterministically; immutable and thread-safe afterwards. Memory is
 * dominated by the config strings: about 3 KB per image (the full spec's ~7,500 images take ~25 MB).
 */
public final class ImageCatalog {
    static final String REGISTRY = "registry.example.invalid";
    private static final String[] BASE_NAMES = {"debian", "ubuntu", "alpine", "busybox", "rockylinux", "amazonlinux",
            "fedora", "distroless/base"};
    private static final String[] RUNTIMES = {"python", "node", "openjdk", "golang", "ruby", "php", "dotnet", "nginx",
            "postgres", "redis"};
    private static final String[] TEAMS = {"shop", "billing", "search", "ml", "infra", "data", "web", "auth", "ops",
            "media"};
    private static final String[] PACKAGES = {"ca-certificates", "curl", "git", "libssl3", "tzdata", "locales",
            "build-essential", "libpq5", "netbase", "procps", "openssh-client", "gnupg"};

    private final SimulationSpec spec;
    private final List<CatalogLayer> layers = new ArrayList<>();
    private final Map<Digest, Integer> layerByChain = new HashMap<>();
    private final List<CatalogImage> images = new ArrayList<>();
    private final int[][] familyImages;
    private final int[] rankToFamily;
    private final double[] rankCdf;
    private final Digest[] commonDiffIds;
    /** Diff ID → the package databases its layer carries; layers not in it carry none ({@link SimulatedPackages}). */
    private final Map<Digest, List<PackageDatabase>> databases = new HashMap<>();

    private ImageCatalog(SimulationSpec spec) {
        this.spec = spec;
        this.familyImages = new int[spec.families()][];
        SplittableRandom rng = Rng.of(spec.seed(), 1);
        // A few diff IDs recur on top of different parents (the same entrypoint script COPYed everywhere):
        // same diff ID, different chain IDs, which a correct index must keep apart.
        commonDiffIds = new Digest[16];
        for (int i = 0; i < commonDiffIds.length; i++) {
            commonDiffIds[i] = Digest.sha256Of("layeratlas-sim common diff " + spec.seed() + " " + i);
        }
        Instant epoch = spec.startAt().minus(Duration.ofDays(900));
        for (int b = 0; b < spec.baseImages(); b++) {
            familyImages[b] = new int[]{buildBase(b, rng, epoch)};
        }
        for (int r = 0; r < spec.runtimeImages(); r++) {
            int family = spec.baseImages() + r;
            int base = zipfIndex(rng, spec.baseImages());
            familyImages[family] = new int[]{buildRuntime(family, r, images.get(familyImages[base][0]), rng)};
        }
        for (int a = 0; a < spec.appFamilies(); a++) {
            int family = spec.baseImages() + spec.runtimeImages() + a;
            CatalogImage parent;
            if (spec.runtimeImages() > 0 && rng.nextDouble() < 0.8) {
                parent = images.get(familyImages[spec.baseImages() + zipfIndex(rng, spec.runtimeImages())][0]);
            } else {
                parent = images.get(familyImages[zipfIndex(rng, spec.baseImages())][0]);
            }
            familyImages[family] = buildApp(family, a, parent, rng);
        }
        // Popularity: bases first, then runtimes, then applications in a random order.
        int n = spec.families();
        rankToFamily = new int[n];
        for (int i = 0; i < n; i++) {
            rankToFamily[i] = i;
        }
        int firstApp = spec.baseImages() + spec.runtimeImages();
        for (int i = n - 1; i > firstApp; i--) {
            int j = firstApp + rng.nextInt(i - firstApp + 1);
            int t = rankToFamily[i];
            rankToFamily[i] = rankToFamily[j];
            rankToFamily[j] = t;
        }
        stepsOf.clear();
        runConfigOf.clear();
        rankCdf = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += 1.0 / Math.pow(i + 1, spec.zipfExponent());
            rankCdf[i] = sum;
        }
        for (int i = 0; i < n; i++) {
            rankCdf[i] /= sum;
        }
    }

    /** Builds the catalog a spec describes. Takes about a second for the full spec. */
    public static ImageCatalog generate(SimulationSpec spec) {
        return new ImageCatalog(spec);
    }

    public SimulationSpec spec() {
        return spec;
    }

    public int imageCount() {
        return images.size();
    }

    public CatalogImage image(int index) {
        return images.get(index);
    }

    public List<CatalogImage> images() {
        return List.copyOf(images);
    }

    public int layerCount() {
        return layers.size();
    }

    public CatalogLayer layer(int index) {
        return layers.get(index);
    }

    /**
     * The package databases the layer with this diff ID adds, as an agent reading its contents would send them in
     * {@code layer-packages} (events/README.md); empty for a layer that touches no database (most of them).
     * Base images' bottom layers carry a dpkg status, a few application layers a small dpkg or apk database
     * ({@link SimulatedPackages}).
     */
    public List<PackageDatabase> layerDatabases(Digest diffId) {
        return databases.getOrDefault(diffId, List.of());
    }

    /** Every package name some layer's database lists, sorted: what a package search may ask for. */
    public List<String> packageNames() {
        java.util.TreeSet<String> names = new java.util.TreeSet<>();
        databases.values().forEach(dbs -> dbs.forEach(db -> db.packages().forEach(p -> names.add(p.name()))));
        return List.copyOf(names);
    }

    /** The OpenSSL version ({@code openssl} and {@code libssl*}, dpkg) of every image built on base {@code base}. */
    public String baseOpensslVersion(int base) {
        return SimulatedPackages.opensslVersion(spec.seed(), base);
    }

    /** The base (its family, from 0) an image is built on: the family of the image at the root of its FROM chain. */
    public int baseOf(int image) {
        CatalogImage img = images.get(image);
        while (img.parentImage() >= 0) {
            img = images.get(img.parentImage());
        }
        return img.family();
    }

    /** Number of families (bases, runtimes, applications). */
    public int familyCount() {
        return familyImages.length;
    }

    /** Image indices of a family's versions, oldest first. */
    public int[] familyVersions(int family) {
        return familyImages[family].clone();
    }

    int versionCount(int family) {
        return familyImages[family].length;
    }

    int imageOf(int family, int version) {
        return familyImages[family][version];
    }

    /** A family drawn by Zipf popularity. */
    int drawFamily(SplittableRandom rng) {
        int rank = Arrays.binarySearch(rankCdf, rng.nextDouble());
        rank = rank >= 0 ? rank : -rank - 1;
        return rankToFamily[Math.min(rank, rankToFamily.length - 1)];
    }

    /**
     * {@code count} distinct images (at most one version per family) drawn by popularity, as one host would hold
     * them; ascending indices. Deterministic in {@code seed}.
     *
     * @throws IllegalArgumentException if the catalog has fewer than {@code count} families
     */
    public int[] sampleImages(int count, long seed) {
        if (count > familyCount()) {
            throw new IllegalArgumentException("catalog has " + familyCount() + " families, cannot pick " + count + " images");
        }
        SplittableRandom rng = Rng.of(seed, 4);
        boolean[] taken = new boolean[familyCount()];
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            int f = -1;
            for (int attempt = 0; attempt < 64 && f < 0; attempt++) {
                int g = drawFamily(rng);
                f = taken[g] ? -1 : g;
            }
            for (int rank = 0; f < 0; rank++) {
                f = taken[rankToFamily[rank]] ? -1 : rankToFamily[rank];
            }
            taken[f] = true;
            out[i] = imageOf(f, rng.nextInt(versionCount(f)));
        }
        Arrays.sort(out);
        return out;
    }

    /** The family at a popularity rank (0 = most popular). */
    int familyAtRank(int rank) {
        return rankToFamily[rank];
    }

    private static int zipfIndex(SplittableRandom rng, int n) {
        double total = 0;
        for (int i = 0; i < n; i++) {
            total += 1.0 / (i + 1);
        }
        double u = rng.nextDouble() * total;
        for (int i = 0; i < n; i++) {
            u -= 1.0 / (i + 1);
            if (u <= 0) {
                return i;
            }
        }
        return n - 1;
    }

    // ---------------------------------------------------------------- building images

    /** One Dockerfile step: a history entry, and a layer unless it is empty. */
    private record Step(Instant created, String createdBy, String comment, boolean empty, int layer) {
    }

    /** The accumulated runtime config ({@code config} in the image JSON). */
    private static final class RunConfig {
        List<String> env = new ArrayList<>(List.of("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
        List<String> cmd = null;
        List<String> entrypoint = null;
        String workingDir = "";
        String user = "";
        TreeMap<String, String> labels = null;
        TreeMap<String, String> exposedPorts = null;

        RunConfig copy() {
            RunConfig c = new RunConfig();
            c.env = new ArrayList<>(env);
            c.cmd = cmd;
            c.entrypoint = entrypoint;
            c.workingDir = workingDir;
            c.user = user;
            c.labels = labels == null ? null : new TreeMap<>(labels);
            c.exposedPorts = exposedPorts == null ? null : new TreeMap<>(exposedPorts);
            return c;
        }
    }

    /** Per-image build state kept only while the catalog is built. */
    private final Map<Integer, List<Step>> stepsOf = new HashMap<>();
    private final Map<Integer, RunConfig> runConfigOf = new HashMap<>();
    private long diffCounter;

    private int addLayer(int parent, Digest diffId, long size) {
        // ChainIds.of's formula, one step at a time: sha256(parent chain ID + " " + diff ID).
        Digest chain = parent < 0 ? diffId : Digest.sha256Of(layers.get(parent).chainId() + " " + diffId);
        Integer existing = layerByChain.get(chain);
        if (existing != null) {
            return existing;
        }
        int index = layers.size();
        Digest blob = Digest.sha256Of("layeratlas-sim gzip " + diffId);
        long blobSize = Math.max(32, (long) (size * 0.38));
        layers.add(new CatalogLayer(index, chain, diffId, parent, size, blob, blobSize));
        layerByChain.put(chain, index);
        return index;
    }

    private Digest newDiffId() {
        return Digest.sha256Of("layeratlas-sim diff " + spec.seed() + " " + diffCounter++);
    }

    private static long layerSize(SplittableRandom rng, double median, double sigma, long max) {
        return Math.min(max, Math.max(0, (long) Rng.logNormal(rng, median, sigma)));
    }

    private static Instant after(Instant t, SplittableRandom rng) {
        return t.plusNanos(40_000_000L + rng.nextLong(4_000_000_000L));
    }

    private int buildBase(int b, SplittableRandom rng, Instant epoch) {
        Instant t = epoch.plus(Duration.ofHours(rng.nextInt(24 * 200))).plusNanos(rng.nextLong(1_000_000_000L));
        List<Step> steps = new ArrayList<>();
        // The root file system: alpine-sized to ubuntu-sized.
        long rootSize = layerSize(rng, 30e6, 0.8, 250_000_000L);
        Digest root = newDiffId();
        int layer = addLayer(-1, root, rootSize);
        databases.put(root, SimulatedPackages.base(spec.seed(), b));
        steps.add(new Step(t, "/bin/sh -c #(nop) ADD file:" + Rng.hex64(b, 7) + " in / ", null, false, layer));
        int extra = rng.nextDouble() < 0.7 ? 0 : 1 + rng.nextInt(2);
        for (int i = 0; i < extra; i++) {
            t = after(t, rng);
            layer = addLayer(layer, newDiffId(), layerSize(rng, 8e6, 1.0, 120_000_000L));
            steps.add(new Step(t, "/bin/sh -c set -eux; apt-get update; apt-get install -y --no-install-recommends "
                    + PACKAGES[rng.nextInt(PACKAGES.length)] + " " + PACKAGES[rng.nextInt(PACKAGES.length)]
                    + "; rm -rf /var/lib/apt/lists/*", null, false, layer));
        }
        t = after(t, rng);
        steps.add(new Step(t, "/bin/sh -c #(nop)  CMD [\"" + (b % 3 == 2 ? "/bin/sh" : "bash") + "\"]", null, true, -1));
        RunConfig rc = new RunConfig();
        rc.cmd = List.of(b % 3 == 2 ? "/bin/sh" : "bash");
        String name = b < BASE_NAMES.length ? BASE_NAMES[b] : BASE_NAMES[b % BASE_NAMES.length] + (b / BASE_NAMES.length);
        return finish(b, 0, -1, steps, rc, REGISTRY + "/library/" + name, (10 + b % 5) + "." + (b % 4), true, rng);
    }

    private int buildRuntime(int family, int r, CatalogImage base, SplittableRandom rng) {
        String lang = RUNTIMES[r % RUNTIMES.length];
        String version = (3 + r / RUNTIMES.length) + "." + rng.nextInt(20) + "." + rng.nextInt(10);
        List<Step> steps = new ArrayList<>(stepsOf.get(base.index()));
        RunConfig rc = runConfigOf.get(base.index()).copy();
        Instant t = after(steps.get(steps.size() - 1).created().plus(Duration.ofDays(1 + rng.nextInt(60))), rng);
        int layer = base.layers()[base.layers().length - 1];
        boolean classic = rng.nextDouble() < 0.5;
        String envVar = lang.toUpperCase() + "_VERSION=" + version;
        rc.env.add("LANG=C.UTF-8");
        rc.env.add(envVar);
        steps.add(new Step(t, emptyCmd(classic, "ENV LANG=C.UTF-8"), comment(classic), true, -1));
        t = after(t, rng);
        steps.add(new Step(t, emptyCmd(classic, "ENV " + envVar), comment(classic), true, -1));
        int n = 2 + rng.nextInt(7);
        for (int i = 0; i < n; i++) {
            t = after(t, rng);
            layer = addLayer(layer, newDiffId(), layerSize(rng, 12e6, 1.3, 400_000_000L));
            String run = i == 0
                    ? "set -eux; curl -fsSL https://downloads.example.invalid/" + lang + "/" + lang + "-" + version
                    + ".tar.xz | tar -xJ -C /usr/local --strip-components=1"
                    : "set -eux; apt-get update && apt-get install -y --no-install-recommends "
                    + PACKAGES[rng.nextInt(PACKAGES.length)] + " && rm -rf /var/lib/apt/lists/*";
            steps.add(new Step(t, runCmd(classic, run), comment(classic), false, layer));
        }
        t = after(t, rng);
        rc.cmd = List.of(lang);
        steps.add(new Step(t, emptyCmd(classic, "CMD [\"" + lang + "\"]"), comment(classic), true, -1));
        return finish(family, 0, base.index(), steps, rc, REGISTRY + "/runtimes/" + lang + (r / RUNTIMES.length),
                version, classic, rng);
    }

    private int[] buildApp(int family, int a, CatalogImage parent, SplittableRandom rng) {
        String team = TEAMS[rng.nextInt(TEAMS.length)];
        String app = "svc-" + a;
        String dir = "/srv/" + app;
        boolean classic = rng.nextDouble() < 0.5;
        int parentLayers = parent.layers().length;
        int deps = 1 + rng.nextInt(6);
        int code = 1 + rng.nextInt(3);
        if (rng.nextDouble() < 0.03) {
            deps = 30 - parentLayers - code; // the occasional very tall image
        }
        if (parentLayers + deps + code < 5) {
            deps = 5 - parentLayers - code;
        }
        if (parentLayers + deps + code > 30) {
            deps = Math.max(0, 30 - parentLayers - code);
        }
        int versions = 1 + rng.nextInt(spec.maxVersions());
        boolean useCommon = rng.nextDouble() < 0.1;

        // The dependency part is shared by every version (a cached build keeps those steps, times included).
        List<Step> shared = new ArrayList<>(stepsOf.get(parent.index()));
        RunConfig rc = runConfigOf.get(parent.index()).copy();
        Instant t = after(shared.get(shared.size() - 1).created().plus(Duration.ofDays(1 + rng.nextInt(90))), rng);
        rc.labels = rc.labels == null ? new TreeMap<>() : rc.labels;
        rc.labels.put("maintainer", team + "@example.invalid");
        rc.labels.put("org.opencontainers.image.title", team + " " + app);
        shared.add(new Step(t, emptyCmd(classic, "LABEL maintainer=" + team + "@example.invalid org.opencontainers.image.title="
                + team + " " + app), comment(classic), true, -1));
        t = after(t, rng);
        rc.env.add("APP_HOME=" + dir);
        shared.add(new Step(t, emptyCmd(classic, "ENV APP_HOME=" + dir), comment(classic), true, -1));
        t = after(t, rng);
        rc.workingDir = dir;
        shared.add(new Step(t, classic ? "/bin/sh -c #(nop) WORKDIR " + dir : "WORKDIR " + dir, comment(classic), true, -1));
        int layer = parent.layers()[parentLayers - 1];
        for (int i = 0; i < deps; i++) {
            t = after(t, rng);
            boolean copyRequirements = i % 2 == 0;
            Digest diff = useCommon && i == 0 ? commonDiffIds[rng.nextInt(commonDiffIds.length)] : newDiffId();
            long size = useCommon && i == 0 ? 1_337 : layerSize(rng, copyRequirements ? 4e3 : 25e6, 1.5, 600_000_000L);
            layer = addLayer(layer, diff, size);
            if (i == 1) {
                // The first install step (never a common diff ID): sometimes a small package database.
                List<PackageDatabase> dbs = SimulatedPackages.app(spec.seed(), family, app);
                if (!dbs.isEmpty()) {
                    databases.put(diff, dbs);
                }
            }
            String text = copyRequirements
                    ? (classic ? "/bin/sh -c #(nop) COPY file:" + Rng.hex64(family, i) + " in " + dir + "/deps-" + i + " "
                    : "COPY deps-" + i + " " + dir + "/deps-" + i + " # buildkit")
                    : runCmd(classic, "pip install --no-cache-dir -r " + dir + "/deps-" + (i - 1) + " && "
                    + "apt-get install -y " + PACKAGES[rng.nextInt(PACKAGES.length)]);
            shared.add(new Step(t, text, comment(classic), false, layer));
        }
        int sharedTop = layer;
        Instant sharedEnd = t;

        int[] out = new int[versions];
        for (int v = 0; v < versions; v++) {
            List<Step> steps = new ArrayList<>(shared);
            RunConfig vrc = rc.copy();
            Instant tv = sharedEnd.plus(Duration.ofDays(v * 14L)).plusSeconds(1 + rng.nextInt(600));
            int top = sharedTop;
            for (int i = 0; i < code; i++) {
                tv = after(tv, rng);
                top = addLayer(top, newDiffId(), layerSize(rng, 3e6, 1.8, 300_000_000L));
                steps.add(new Step(tv, classic ? "/bin/sh -c #(nop) COPY dir:" + Rng.hex64(family * 31L + v, i) + " in " + dir + " "
                        : "COPY . " + dir + " # buildkit", comment(classic), false, top));
            }
            tv = after(tv, rng);
            vrc.exposedPorts = new TreeMap<>(vrc.exposedPorts == null ? Map.of() : vrc.exposedPorts);
            vrc.exposedPorts.put((8000 + a % 100) + "/tcp", "");
            steps.add(new Step(tv, emptyCmd(classic, "EXPOSE " + (8000 + a % 100)), comment(classic), true, -1));
            tv = after(tv, rng);
            vrc.user = "1000";
            steps.add(new Step(tv, emptyCmd(classic, "USER 1000"), comment(classic), true, -1));
            tv = after(tv, rng);
            vrc.cmd = List.of(dir + "/bin/" + app, "--port", String.valueOf(8000 + a % 100));
            steps.add(new Step(tv, emptyCmd(classic, "CMD [\"" + dir + "/bin/" + app + "\" \"--port\" \""
                    + (8000 + a % 100) + "\"]"), comment(classic), true, -1));
            out[v] = finish(family, v, parent.index(), steps, vrc, REGISTRY + "/" + team + "/" + app,
                    "1." + v + ".0", classic, rng);
        }
        return out;
    }

    private static String emptyCmd(boolean classic, String instruction) {
        return classic ? "/bin/sh -c #(nop)  " + instruction : instruction;
    }

    private static String runCmd(boolean classic, String shell) {
        return classic ? "/bin/sh -c " + shell : "RUN /bin/sh -c " + shell + " # buildkit";
    }

    private static String comment(boolean classic) {
        return classic ? null : "buildkit.dockerfile.v0";
    }

    private int finish(int family, int version, int parentImage, List<Step> steps, RunConfig rc, String repository,
                       String tag, boolean classic, SplittableRandom rng) {
        int index = images.size();
        List<Integer> layerList = new ArrayList<>();
        for (Step s : steps) {
            if (!s.empty()) {
                layerList.add(s.layer());
            }
        }
        int[] layerIdx = layerList.stream().mapToInt(Integer::intValue).toArray();
        List<Digest> diffIds = new ArrayList<>(layerIdx.length);
        List<Digest> chainIds = new ArrayList<>(layerIdx.length);
        long size = 0;
        for (int l : layerIdx) {
            diffIds.add(layers.get(l).diffId());
            chainIds.add(layers.get(l).chainId());
            size += layers.get(l).size();
        }
        Instant created = steps.get(steps.size() - 1).created();
        String parentId = parentImage < 0 ? "" : images.get(parentImage).id().toString();
        String config = configJson(steps, rc, diffIds, created, classic, parentId, Rng.hex64(index, 99));
        Digest id = Digest.sha256Of(config);
        List<HistoryEntry> history = new ArrayList<>(steps.size());
        for (Step s : steps) {
            history.add(new HistoryEntry(s.created(), s.createdBy(), s.comment(), s.empty(),
                    s.empty() ? 0 : layers.get(s.layer()).size()));
        }
        Digest manifest = Digest.sha256Of(manifestJson(config.getBytes(StandardCharsets.UTF_8).length, id, layerIdx));
        ImageRecord record = new ImageRecord(id, List.of(repository + ":" + tag), List.of(repository + "@" + manifest),
                null, created, size, diffIds, chainIds, history, -1, -1, -1, "linux", "amd64");
        images.add(new CatalogImage(index, family, version, config, layerIdx, parentImage, repository, tag, manifest,
                classic, record));
        stepsOf.put(index, steps);
        runConfigOf.put(index, rc);
        return index;
    }

    private String manifestJson(int configSize, Digest configId, int[] layerIdx) {
        StringBuilder sb = new StringBuilder(256 + 160 * layerIdx.length);
        sb.append("{\n   \"schemaVersion\": 2,\n   \"mediaType\": \"application/vnd.docker.distribution.manifest.v2+json\",\n")
                .append("   \"config\": {\n      \"mediaType\": \"application/vnd.docker.container.image.v1+json\",\n")
                .append("      \"size\": ").append(configSize).append(",\n      \"digest\": \"").append(configId)
                .append("\"\n   },\n   \"layers\": [");
        for (int i = 0; i < layerIdx.length; i++) {
            CatalogLayer l = layers.get(layerIdx[i]);
            sb.append(i == 0 ? "\n" : ",\n")
                    .append("      {\n         \"mediaType\": \"application/vnd.docker.image.rootfs.diff.tar.gzip\",\n")
                    .append("         \"size\": ").append(l.blobSize()).append(",\n         \"digest\": \"")
                    .append(l.blobDigest()).append("\"\n      }");
        }
        return sb.append("\n   ]\n}").toString();
    }

    // ---------------------------------------------------------------- config JSON, as Docker writes it

    /**
     * Docker marshals the image through a map, so top-level keys come out sorted (image/image.go MarshalJSON);
     * {@code config} and {@code history} entries keep their Go struct order (api/types/container/config.go,
     * image/image.go History). Times are RFC 3339 with nanoseconds, trailing zeros trimmed, as Go prints them.
     */
    private static String configJson(List<Step> steps, RunConfig rc, List<Digest> diffIds, Instant created,
                                     boolean classic, String parentId, String containerId) {
        StringBuilder sb = new StringBuilder(1024 + 200 * steps.size());
        sb.append("{\"architecture\":\"amd64\",\"config\":");
        runConfig(sb, rc, "", classic ? parentId : null, classic ? null : Boolean.TRUE);
        if (classic) {
            sb.append(",\"container\":\"").append(containerId).append('"');
            sb.append(",\"container_config\":");
            RunConfig cc = rc.copy();
            Step last = steps.get(steps.size() - 1);
            String nop = last.createdBy().startsWith("/bin/sh -c #(nop) ")
                    ? last.createdBy().substring("/bin/sh -c #(nop) ".length()).trim() : last.createdBy();
            cc.cmd = List.of("/bin/sh", "-c", "#(nop) ", nop);
            runConfig(sb, cc, containerId.substring(0, 12), parentId, null);
        }
        sb.append(",\"created\":\"").append(goTime(created)).append('"');
        if (classic) {
            sb.append(",\"docker_version\":\"20.10.24+dfsg1\"");
        }
        sb.append(",\"history\":[");
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            sb.append(i == 0 ? "{" : ",{");
            sb.append("\"created\":\"").append(goTime(s.created())).append('"');
            if (s.createdBy() != null) {
                sb.append(",\"created_by\":");
                GoJson.quote(sb, s.createdBy());
            }
            if (s.comment() != null) {
                sb.append(",\"comment\":");
                GoJson.quote(sb, s.comment());
            }
            if (s.empty()) {
                sb.append(",\"empty_layer\":true");
            }
            sb.append('}');
        }
        sb.append("],");
        if (!classic) {
            // BuildKit records the build's provenance under this key; older engines write a small base64 blob.
            sb.append("\"moby.buildkit.buildinfo.v1\":\"eyJmcm9udGVuZCI6ImRvY2tlcmZpbGUudjAifQ==\",");
        }
        sb.append("\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[");
        for (int i = 0; i < diffIds.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append('"').append(diffIds.get(i)).append('"');
        }
        return sb.append("]}}").toString();
    }

    private static void runConfig(StringBuilder sb, RunConfig rc, String hostname, String image, Boolean argsEscaped) {
        sb.append("{\"Hostname\":");
        GoJson.quote(sb, hostname);
        sb.append(",\"Domainname\":\"\",\"User\":");
        GoJson.quote(sb, rc.user);
        sb.append(",\"AttachStdin\":false,\"AttachStdout\":false,\"AttachStderr\":false");
        if (rc.exposedPorts != null && !rc.exposedPorts.isEmpty()) {
            sb.append(",\"ExposedPorts\":{");
            boolean first = true;
            for (String port : rc.exposedPorts.keySet()) {
                sb.append(first ? "" : ",");
                GoJson.quote(sb, port).append(":{}");
                first = false;
            }
            sb.append('}');
        }
        sb.append(",\"Tty\":false,\"OpenStdin\":false,\"StdinOnce\":false,\"Env\":");
        stringArray(sb, rc.env);
        sb.append(",\"Cmd\":");
        stringArray(sb, rc.cmd);
        if (argsEscaped != null) {
            sb.append(",\"ArgsEscaped\":").append(argsEscaped);
        }
        sb.append(",\"Image\":");
        GoJson.quote(sb, image == null ? "" : image);
        sb.append(",\"Volumes\":null,\"WorkingDir\":");
        GoJson.quote(sb, rc.workingDir);
        sb.append(",\"Entrypoint\":");
        stringArray(sb, rc.entrypoint);
        sb.append(",\"OnBuild\":null,\"Labels\":");
        if (rc.labels == null) {
            sb.append("null");
        } else {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<String, String> e : rc.labels.entrySet()) {
                sb.append(first ? "" : ",");
                GoJson.quote(sb, e.getKey()).append(':');
                GoJson.quote(sb, e.getValue());
                first = false;
            }
            sb.append('}');
        }
        sb.append('}');
    }

    private static void stringArray(StringBuilder sb, List<String> values) {
        if (values == null) {
            sb.append("null");
            return;
        }
        sb.append('[');
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            GoJson.quote(sb, values.get(i));
        }
        sb.append(']');
    }

    /** RFC 3339 with up to nine fraction digits, trailing zeros trimmed (Go's time.RFC3339Nano). */
    static String goTime(Instant t) {
        String s = t.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString(); // ...:ssZ
        int nanos = t.getNano();
        if (nanos == 0) {
            return s;
        }
        String frac = String.format("%09d", nanos).replaceFirst("0+$", "");
        return s.substring(0, s.length() - 1) + "." + frac + "Z";
    }
}
