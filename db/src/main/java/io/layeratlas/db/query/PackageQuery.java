package io.layeratlas.db.query;

import io.layeratlas.events.PackageEcosystem;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The package aggregate (issue 15): which images have a package version, which hosts hold those images, and what
 * packages an image has. A name matches a binary package of that name (its version is compared) or any binary built
 * from a source package of that name (the source version is compared): {@code openssl<3.0.8} finds Debian's
 * {@code libssl3} of source {@code openssl} as well, which is where the vulnerable code of an OpenSSL advisory ships. Versions are matched in Java with each ecosystem's own ordering ({@link PackageSpec},
 * {@code db.versions}) over the distinct versions the index knows of the name (a short list: one row per build), then
 * everything else is set-based SQL over the package keys that matched. Images count when at least one host holds
 * them; retired hosts are left out. Thread-safe; every call reads one consistent snapshot.
 */
public final class PackageQuery {
    private final DataSource dataSource;
    private final Freshness.Policy policy;

    public PackageQuery(DataSource dataSource, Freshness.Policy policy) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.policy = Objects.requireNonNull(policy, "policy");
    }

    /** A package build the question matched (strings verbatim from the databases). */
    public record PackageVersion(String ecosystem, String name, String version, String architecture) {
    }

    /** A matching package in an image: which database listed it and the layer (position from 0, diff ID) that brought it. */
    public record ImagePackage(String ecosystem, String name, String version, String architecture, String sourceName,
                               String sourceVersion, String path, int position, String diffId) {
    }

    /** An image that has a matching version: its tags on hosts, how many hosts hold it, and the matching packages. */
    public record ImageHit(String imageId, List<String> repoTags, int hostCount, List<ImagePackage> packages) {
    }

    /** An image a host holds, with the tags that host gives it. */
    public record HeldImage(String imageId, List<String> repoTags) {
    }

    /**
     * A host holding at least one matching image.
     *
     * @param images     up to {@link #HELD_SHOWN} of them, by image ID (the remediation export lists them all)
     * @param imageCount how many matching images the host holds
     */
    public record HostHit(HostStatus host, List<HeldImage> images, int imageCount) {
    }

    /**
     * How many of a host's matching images an answer lists: a host may hold hundreds, and a page of 100 hosts listing
     * every one was most of the answer's time and bytes (package-search-small-3.txt).
     */
    public static final int HELD_SHOWN = 10;

    /**
     * One answer: the versions that matched, a page of the images having one (by image ID) and a page of the hosts
     * holding such an image (by host ID), and what tells an empty answer's reasons apart.
     *
     * @param imageCount    every page's images
     * @param hostCount     every page's hosts
     * @param freshness     of every host in the answer
     * @param otherVersions the builds of the name (or of binaries of that source) the index knows that the
     *                      constraints left out, ordered as {@code versions}: why {@code openssl<3.0.8} is empty
     *                      on a fleet whose openssl is newer
     * @param packagesRead  false while no agent has sent any layer's package databases: then every answer is empty
     *                      because nothing was read, not because no image has the package
     */
    public record PackageSearch(String query, String name, List<PackageSpec.Constraint> constraints,
                                List<PackageVersion> versions, long imageCount, List<ImageHit> images, PageInfo imagesPage,
                                int hostCount, List<HostHit> hosts, PageInfo hostsPage, Freshness freshness,
                                List<PackageVersion> otherVersions, boolean packagesRead) {
    }

    /** One row of the remediation export: a host, an image it holds, that image's tags there, a matching package. */
    public record ExportRow(String hostId, String imageId, List<String> repoTags, String ecosystem, String name,
                            String version, String architecture) {
    }

    /** Receives the rows of {@link #export}, in host ID, image ID, package order. */
    @FunctionalInterface
    public interface RowSink {
        void accept(ExportRow row) throws Exception;
    }

    /**
     * The packages of one image, each with the layer that brought it, and how many of its layers have been read.
     *
     * @param layerCount  layers in its stack (null until the stack is known)
     * @param layersRead  of those, how many an agent has read the packages of: below {@code layerCount}, the list may
     *                    still change
     */
    public record ImagePackages(String imageId, Integer layerCount, int layersRead, List<ImagePackage> packages) {
    }

    private static final String ANY_READ = "SELECT EXISTS (SELECT 1 FROM package_layers)";

    private static final String VERSIONS = """
            SELECT package_key, ecosystem, name, version, architecture, source_name, source_version FROM packages
             WHERE name = ? OR source_name = ?""";

    // The images (held by some host) whose effective databases list a matching package: read first, into Java, so
    // that every later statement gets them as an array whose length the planner sees. Estimated through the join
    // instead, the planner expected ~1,600 of 1,878 images for any package (its databases' image counts are skewed:
    // a base layer's database is in hundreds of images, most in one), and walked every host's images for 17
    // (bench/results/package-search-small-3.txt).
    private static final String MATCHED_IMAGES = """
            SELECT DISTINCT ipd.image_key FROM database_packages dp
              JOIN image_package_databases ipd ON ipd.db_key = dp.db_key
              JOIN image_usage u ON u.image_key = ipd.image_key
             WHERE dp.package_key = ANY (?) AND u.host_count > 0""";

    private static final Keyset IMAGES = new Keyset("""
            SELECT i.image_key, i.image_id, u.host_count, {keys},
                   ARRAY(SELECT DISTINCT t FROM host_images hi, unnest(hi.repo_tags) t
                          WHERE hi.image_key = i.image_key ORDER BY t) AS tags
              FROM images i JOIN image_usage u ON u.image_key = i.image_key
             WHERE i.image_key = ANY (?) AND {keyset}
             {order}""", List.of("i.image_id"), List.of("text"), false);

    private static final String PACKAGES_OF_IMAGES = """
            SELECT ip.image_key, ip.ecosystem, ip.name, ip.version, ip.architecture, ip.source_name, ip.source_version,
                   ip.path, ip.position, ip.diff_id
              FROM image_packages ip
             WHERE ip.image_key = ANY (?) AND ip.package_key = ANY (?)
             ORDER BY ip.name, ip.version, ip.path""";

    // The hosts holding a matched image, read once into Java as well: from the matched images to host_images (index
    // host_images_image, or one pass over it with the array hashed, as the planner judges from the array's length).
    // Asked host by host instead ("does this host hold one of them?"), PostgreSQL 17 sorts the array again for each
    // host's index probe: 20-27 ms a freshness statement for up to 1,878 images and 200 hosts, where this takes 2-3.
    private static final String HOLDERS = """
            SELECT DISTINCT hi.host_key FROM host_images hi WHERE hi.image_key = ANY (?)""";

    private static final String HOLDS = "h.host_key = ANY (?)";

    private static final Keyset HOSTS = new Keyset("""
            SELECT %s, {keys} FROM hosts h
             WHERE h.retired_at IS NULL AND %s AND {keyset}
             {order}""".formatted(Sql.HOST_COLUMNS, HOLDS), List.of("h.host_id"), List.of("text"), false);

    // Per host of the page: how many matched images it holds, and the first HELD_SHOWN of them in host_images' key
    // order (host_key, image_key: the index's own order, so no sort); the caller lists those by image ID.
    private static final String IMAGES_ON_HOSTS = """
            SELECT x.host_key, x.held, i.image_id, x.repo_tags
              FROM (SELECT hi.host_key, hi.image_key, hi.repo_tags,
                           row_number() OVER (PARTITION BY hi.host_key ORDER BY hi.image_key) AS n,
                           count(*) OVER (PARTITION BY hi.host_key) AS held
                      FROM host_images hi
                     WHERE hi.host_key = ANY (?) AND hi.image_key = ANY (?)) x
              JOIN images i ON i.image_key = x.image_key
             WHERE x.n <= %d""".formatted(HELD_SHOWN);

    private static final String EXPORT = """
            WITH matched AS (
                SELECT DISTINCT ipd.image_key, dp.package_key FROM database_packages dp
                  JOIN image_package_databases ipd ON ipd.db_key = dp.db_key
                 WHERE dp.package_key = ANY (?))
            SELECT h.host_id, i.image_id, hi.repo_tags, p.ecosystem, p.name, p.version, p.architecture
              FROM matched m
              JOIN host_images hi ON hi.image_key = m.image_key
              JOIN hosts h ON h.host_key = hi.host_key
              JOIN images i ON i.image_key = m.image_key
              JOIN packages p ON p.package_key = m.package_key
             WHERE h.retired_at IS NULL
             ORDER BY h.host_id, i.image_id, p.name, p.version, p.ecosystem, p.architecture""";

    /**
     * Answers a package question ({@link PackageSpec} syntax).
     *
     * @throws QueryException.InvalidParameter for bad syntax (what and where), or a cursor of another list
     */
    public PackageSearch search(String question, PageRequest imagesPage, PageRequest hostsPage) {
        PackageSpec spec = PackageSpec.parse(question);
        return Sql.inSnapshot(dataSource, "package search", c -> {
            Matched m = match(c, spec);
            List<Long> matched = m.keys().isEmpty() ? List.of()
                    : Sql.list(c, MATCHED_IMAGES, rs -> rs.getLong(1), m.keys());
            long imageCount = matched.size();
            record ImageRow(long key, String imageId, List<String> tags, int hostCount) {
            }
            Page<ImageRow> images = IMAGES.page(c, imagesPage, imageCount, rs -> new ImageRow(rs.getLong("image_key"),
                    rs.getString("image_id"), Sql.strings(rs, "tags"), rs.getInt("host_count")), matched);
            Map<Long, List<ImagePackage>> packages = new LinkedHashMap<>();
            List<Long> imageKeys = images.items().stream().map(ImageRow::key).toList();
            if (!imageKeys.isEmpty()) {
                for (var row : Sql.list(c, PACKAGES_OF_IMAGES, rs -> Map.entry(rs.getLong("image_key"), imagePackage(rs)),
                        imageKeys, m.keys())) {
                    packages.computeIfAbsent(row.getKey(), k -> new ArrayList<>()).add(row.getValue());
                }
            }
            List<Long> holders = matched.isEmpty() ? List.of() : Sql.list(c, HOLDERS, rs -> rs.getLong(1), matched);
            Freshness freshness = Sql.freshness(c, policy, HOLDS, holders);
            record HostRow(long key, HostStatus host) {
            }
            Page<HostRow> hosts = HOSTS.page(c, hostsPage, freshness.hostCount(),
                    rs -> new HostRow(rs.getLong("host_key"), Sql.host(rs, policy)), holders);
            Map<Long, List<HeldImage>> held = new LinkedHashMap<>();
            Map<Long, Integer> heldCount = new LinkedHashMap<>();
            List<Long> hostKeys = hosts.items().stream().map(HostRow::key).toList();
            if (!hostKeys.isEmpty()) {
                record HeldRow(long host, int count, HeldImage image) {
                }
                for (HeldRow row : Sql.list(c, IMAGES_ON_HOSTS, rs -> new HeldRow(rs.getLong("host_key"), rs.getInt("held"),
                        new HeldImage(rs.getString("image_id"), Sql.strings(rs, "repo_tags"))), hostKeys, matched)) {
                    heldCount.put(row.host(), row.count());
                    held.computeIfAbsent(row.host(), k -> new ArrayList<>()).add(row.image());
                }
                held.values().forEach(l -> l.sort(Comparator.comparing(HeldImage::imageId)));
            }
            // A build in the index came from a layer that was read: only an empty list needs the question.
            boolean packagesRead = !m.versions().isEmpty() || !m.others().isEmpty()
                    || Sql.list(c, ANY_READ, rs -> rs.getBoolean(1)).get(0);
            return new PackageSearch(spec.toString(), spec.name(), spec.constraints(), m.versions(), imageCount,
                    images.items().stream().map(r -> new ImageHit(r.imageId(), r.tags(), r.hostCount(),
                            List.copyOf(packages.getOrDefault(r.key(), List.of())))).toList(), images.info(),
                    freshness.hostCount(), hosts.items().stream().map(r -> new HostHit(r.host(),
                            List.copyOf(held.getOrDefault(r.key(), List.of())), heldCount.getOrDefault(r.key(), 0)))
                            .toList(), hosts.info(), freshness,
                    m.others(), packagesRead);
        });
    }

    /**
     * Every (host, image, matching package) row, streamed in host ID order with no cap, from one snapshot: the
     * remediation export. Rows are fetched from the server in batches, so memory does not grow with the fleet.
     *
     * @throws QueryException.InvalidParameter for bad syntax
     * @throws QueryException wrapping whatever {@code sink} throws
     */
    public void export(String question, RowSink sink) {
        PackageSpec spec = PackageSpec.parse(question);
        Sql.inSnapshot(dataSource, "package export", c -> {
            Matched m = match(c, spec);
            try (var ps = c.prepareStatement(EXPORT)) {
                ps.setFetchSize(2_000);
                ps.setArray(1, c.createArrayOf("bigint", m.keys().toArray()));
                try (var rs = ps.executeQuery()) {
                    while (rs.next()) {
                        ExportRow row = new ExportRow(rs.getString("host_id"), rs.getString("image_id"),
                                Sql.strings(rs, "repo_tags"), rs.getString("ecosystem"), rs.getString("name"),
                                rs.getString("version"), rs.getString("architecture"));
                        try {
                            sink.accept(row);
                        } catch (RuntimeException e) {
                            throw e;
                        } catch (Exception e) {
                            throw new QueryException("export stopped: " + e.getMessage(), e);
                        }
                    }
                }
            }
            return null;
        });
    }

    private static final String IMAGE = "SELECT image_key, layer_count FROM images WHERE image_id = ?";

    private static final String LAYERS_READ = """
            SELECT count(*) FROM image_layers il JOIN layers l ON l.layer_key = il.layer_key
             WHERE il.image_key = ? AND EXISTS (SELECT 1 FROM package_layers pl WHERE pl.diff_id = l.diff_id)""";

    private static final String PACKAGES_OF_IMAGE = """
            SELECT ip.ecosystem, ip.name, ip.version, ip.architecture, ip.source_name, ip.source_version, ip.path,
                   ip.position, ip.diff_id
              FROM image_packages ip WHERE ip.image_key = ?
             ORDER BY ip.name, ip.ecosystem, ip.version, ip.architecture, ip.path""";

    /**
     * The effective packages of an image, by name.
     *
     * @param imageId a full image ID (resolve prefixes with {@link ImageQuery#resolve})
     * @throws QueryException.NotFound if the index has no such image
     */
    public ImagePackages ofImage(String imageId) {
        return Sql.inSnapshot(dataSource, "image packages", c -> {
            record Row(long key, Integer layers) {
            }
            List<Row> rows = Sql.list(c, IMAGE, rs -> new Row(rs.getLong(1), (Integer) rs.getObject(2)), imageId);
            if (rows.isEmpty()) {
                throw new QueryException.NotFound("no image " + imageId);
            }
            long key = rows.get(0).key();
            long read = Sql.list(c, LAYERS_READ, rs -> rs.getLong(1), key).get(0);
            return new ImagePackages(imageId, rows.get(0).layers(), (int) read,
                    Sql.list(c, PACKAGES_OF_IMAGE, PackageQuery::imagePackage, key));
        });
    }

    private record Matched(List<Long> keys, List<PackageVersion> versions, List<PackageVersion> others) {
    }

    /**
     * The keys ({@code packages.package_key}, ascending) of the package builds a question matches, by the rule
     * {@link #search} applies: for baselines that time the rest of the answer as bare SQL over these keys.
     *
     * @throws QueryException.InvalidParameter for bad syntax
     * @throws SQLException                    from the connection
     */
    public static List<Long> matchingKeys(Connection c, String question) throws SQLException {
        return match(c, PackageSpec.parse(question)).keys();
    }

    private static Matched match(Connection c, PackageSpec spec) throws SQLException {
        record Row(long key, PackageVersion version, String sourceName, String sourceVersion) {
            /** The version the question is about: the binary's by its name, else the source package's. */
            String asked(String name) {
                return version.name().equals(name) || sourceVersion == null ? version.version() : sourceVersion;
            }
        }
        List<Row> rows = Sql.list(c, VERSIONS, rs -> new Row(rs.getLong(1), new PackageVersion(rs.getString(2),
                rs.getString(3), rs.getString(4), rs.getString(5)), rs.getString(6), rs.getString(7)),
                spec.name(), spec.name());
        List<Long> keys = new ArrayList<>();
        List<PackageVersion> versions = new ArrayList<>();
        List<PackageVersion> others = new ArrayList<>();
        for (Row r : rows) {
            if (spec.matches(PackageEcosystem.fromId(r.version().ecosystem()), r.asked(spec.name()))) {
                keys.add(r.key());
                if (!versions.contains(r.version())) {
                    versions.add(r.version());
                }
            } else if (!others.contains(r.version())) {
                others.add(r.version());
            }
        }
        keys.sort(null);
        Comparator<PackageVersion> order = Comparator.comparing(PackageVersion::ecosystem)
                .thenComparing((a, b) -> io.layeratlas.db.versions.VersionOrdering.of(PackageEcosystem.fromId(a.ecosystem()))
                        .compare(a.version(), b.version()))
                .thenComparing(v -> String.valueOf(v.architecture()));
        versions.sort(order);
        others.removeAll(versions); // a build listed under its binary name and its source name alike
        others.sort(order);
        return new Matched(keys, versions, others);
    }

    private static ImagePackage imagePackage(java.sql.ResultSet rs) throws SQLException {
        return new ImagePackage(rs.getString("ecosystem"), rs.getString("name"), rs.getString("version"),
                rs.getString("architecture"), rs.getString("source_name"), rs.getString("source_version"),
                rs.getString("path"), rs.getInt("position"), rs.getString("diff_id"));
    }
}
