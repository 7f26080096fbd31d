package io.layeratlas.bench.simulate;

import io.layeratlas.bench.store.SqlQueries;
import io.layeratlas.db.Database;
import io.layeratlas.db.index.IndexWriter;
import io.layeratlas.db.query.Freshness;
import io.layeratlas.db.query.PackageQuery;
import io.layeratlas.db.query.PageRequest;
import io.layeratlas.embedded.EmbeddedKafka;
import io.layeratlas.embedded.EmbeddedPostgresServer;
import io.layeratlas.events.Digest;
import io.layeratlas.indexer.Indexer;
import io.layeratlas.indexer.IndexerConfig;
import io.layeratlas.topics.TopicSetup;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The simulator says what it sent ({@link FleetSimulator#expectedHostLayers(int)}, {@link
 * FleetSimulator#expectedHostImages(int)}); the real indexer, fed the simulated topics, must index exactly that:
 * every host at its last generation, holding exactly those layers and images, with usage counters to match.
 * Chunked snapshots (64 KiB messages) and churn rounds are part of the small fleet. The simulated layers' package
 * databases are indexed too: a range search finds exactly the images whose simulated OpenSSL version
 * {@code dpkg --compare-versions} puts in the range.
 */
class SimulatedFleetIndexedTest {
    @TempDir
    static Path dir;
    private static EmbeddedKafka kafka;
    private static EmbeddedPostgresServer pg;
    private static Database db;
    private static FleetSimulator simulator;
    private static PublishReport report;

    @BeforeAll
    static void publishAndIndex() {
        kafka = EmbeddedKafka.startTemporary(dir.resolve("kafka"));
        pg = EmbeddedPostgresServer.startTemporary();
        db = Database.migrateAndOpen(pg.createDatabase("simulated_fleet"), pg.user(), "", 4);
        SimulationSpec spec = SimulationSpec.of(23, 30, 20).withChurn(2, 0.3)
                .withMaxMessageBytes(64 * 1024).withTopicPrefix("simindex.");
        simulator = new FleetSimulator(spec);
        TopicSetup.ensureTopics(kafka.bootstrapServers(), Map.of(), 3, spec.topicPrefix());
        report = simulator.publish(kafka.bootstrapServers());
        IndexerConfig config = IndexerConfig.defaults(kafka.bootstrapServers())
                .withGroupId("simindex-" + System.nanoTime()).withTopicPrefix(spec.topicPrefix());
        try (Indexer indexer = new Indexer(config, db)) {
            indexer.start();
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(indexer::caughtUp);
        }
    }

    @AfterAll
    static void stop() {
        if (db != null) {
            db.close();
        }
        if (pg != null) {
            pg.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void the_fleet_was_published_in_chunks_over_several_rounds() {
        assertThat(report.chunks()).isGreaterThan(report.snapshots());
        assertThat(report.snapshots()).isEqualTo(30L * 3);
    }

    @Test
    void every_host_is_at_its_last_generation() throws Exception {
        Map<String, Long> generations = new TreeMap<>();
        query("SELECT host_id, generation FROM hosts", rs -> generations.put(rs.getString(1), rs.getLong(2)));
        assertThat(generations).hasSize(30);
        assertThat(generations.values()).containsOnly((long) simulator.spec().churnRounds() + 1);
    }

    @Test
    void the_fleets_heartbeats_through_the_indexers_write_path_are_stored_at_the_time_they_were_sent() throws Exception {
        Instant before = Instant.now().truncatedTo(ChronoUnit.MICROS);
        long sent;
        try (FleetHeartbeats beats = FleetHeartbeats.toIndex(simulator, new IndexWriter(db), 3)) {
            sent = beats.sent();
        }
        Instant after = Instant.now();
        assertThat(sent).as("every host on start").isEqualTo(30);
        Map<String, Instant> at = new TreeMap<>();
        query("SELECT host_id, last_heartbeat_at FROM hosts", rs -> at.put(rs.getString(1), rs.getTimestamp(2).toInstant()));
        assertThat(at).hasSize(30);
        assertThat(at.values()).allSatisfy(t -> assertThat(t).isBetween(before, after));
    }

    @Test
    void indexed_host_layers_equal_what_the_simulator_sent() throws Exception {
        Map<String, Set<String>> indexed = new TreeMap<>();
        query("""
                SELECT h.host_id, l.chain_id FROM host_layers hl
                  JOIN hosts h ON h.host_key = hl.host_key JOIN layers l ON l.layer_key = hl.layer_key
                """, rs -> indexed.computeIfAbsent(rs.getString(1), k -> new TreeSet<>()).add(rs.getString(2)));
        assertThat(indexed).isEqualTo(strings(simulator.expectedHostLayers()));
    }

    @Test
    void indexed_host_images_equal_what_the_simulator_sent() throws Exception {
        Map<String, Set<String>> indexed = new TreeMap<>();
        query("""
                SELECT h.host_id, i.image_id FROM host_images hi
                  JOIN hosts h ON h.host_key = hi.host_key JOIN images i ON i.image_key = hi.image_key
                """, rs -> indexed.computeIfAbsent(rs.getString(1), k -> new TreeSet<>()).add(rs.getString(2)));
        assertThat(indexed).isEqualTo(strings(simulator.expectedHostImages(simulator.spec().churnRounds())));
    }

    @Test
    void layer_host_counters_equal_the_hosts_the_simulator_gave_each_layer() throws Exception {
        Map<String, Integer> expected = new TreeMap<>();
        simulator.expectedHostLayers().values().forEach(chains ->
                chains.forEach(c -> expected.merge(c.toString(), 1, Integer::sum)));
        Map<String, Integer> counted = new TreeMap<>();
        query("""
                SELECT l.chain_id, u.host_count FROM layer_usage u JOIN layers l ON l.layer_key = u.layer_key
                 WHERE u.host_count > 0
                """, rs -> counted.put(rs.getString(1), rs.getInt(2)));
        assertThat(counted).isEqualTo(expected);
    }

    @Test
    void openssl_range_searches_find_exactly_the_images_dpkg_compare_versions_puts_in_range() throws Exception {
        PackageQuery query = new PackageQuery(db.dataSource(), new Freshness.Policy(Clock.systemUTC(), Duration.ofDays(3650)));
        Map<String, Set<Digest>> hostImages = simulator.expectedHostImages(simulator.spec().churnRounds());
        Set<Digest> held = new TreeSet<>(java.util.Comparator.comparing(Digest::toString));
        hostImages.values().forEach(held::addAll);
        Map<Digest, String> opensslOf = new HashMap<>();
        for (int i = 0; i < simulator.catalog().imageCount(); i++) {
            if (held.contains(simulator.catalog().image(i).id())) {
                opensslOf.put(simulator.catalog().image(i).id(),
                        simulator.catalog().baseOpensslVersion(simulator.catalog().baseOf(i)));
            }
        }
        for (String[] range : new String[][]{{"<3.0.8", "lt", "3.0.8"}, {">=3.0.11-1~deb12u2", "ge", "3.0.11-1~deb12u2"}}) {
            Map<String, Boolean> truth = new HashMap<>();
            Set<String> expectedImages = new TreeSet<>();
            opensslOf.forEach((image, version) -> {
                if (truth.computeIfAbsent(version, v -> dpkgCompare(v, range[1], range[2]))) {
                    expectedImages.add(image.toString());
                }
            });
            Set<String> expectedHosts = new TreeSet<>();
            hostImages.forEach((host, images) -> images.forEach(i -> {
                if (expectedImages.contains(i.toString())) {
                    expectedHosts.add(host);
                }
            }));
            assertThat(expectedImages).as("images in openssl%s", range[0]).isNotEmpty().hasSizeLessThan(held.size());

            PackageQuery.PackageSearch answer = query.search("openssl" + range[0], new PageRequest(null, 1000),
                    new PageRequest(null, 1000));
            assertThat(answer.imageCount()).isEqualTo(expectedImages.size());
            assertThat(answer.images()).extracting(PackageQuery.ImageHit::imageId)
                    .containsExactlyInAnyOrderElementsOf(expectedImages);
            assertThat(answer.hosts()).extracting(h -> h.host().hostId())
                    .containsExactlyInAnyOrderElementsOf(expectedHosts);
            // The benchmark's bare SQL sends the API's statements: the first page of images and of hosts, each with
            // the row past the page.
            try (Connection c = db.dataSource().getConnection()) {
                assertThat(SqlQueries.packageSearch(c, SqlQueries.packages(db.dataSource()), "openssl" + range[0]))
                        .isEqualTo(Math.min(101, expectedImages.size()) + Math.min(101, expectedHosts.size()));
            }
        }
    }

    /** {@code dpkg --compare-versions a op b}: the real tool's answer. */
    private static boolean dpkgCompare(String a, String op, String b) {
        try {
            return new ProcessBuilder("dpkg", "--compare-versions", a, op, b).start().waitFor() == 0;
        } catch (Exception e) {
            throw new IllegalStateException("cannot run dpkg --compare-versions " + a + " " + op + " " + b, e);
        }
    }

    private static Map<String, Set<String>> strings(Map<String, Set<Digest>> byHost) {
        Map<String, Set<String>> out = new TreeMap<>();
        byHost.forEach((host, digests) -> {
            Set<String> s = new TreeSet<>();
            digests.forEach(d -> s.add(d.toString()));
            out.put(host, s);
        });
        return out;
    }

    @FunctionalInterface
    private interface Row {
        void accept(ResultSet rs) throws Exception;
    }

    private static void query(String sql, Row row) throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                row.accept(rs);
            }
        }
    }
}
