package io.layeratlas.bench.profile;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.layeratlas.bench.simulate.FleetSimulator;
import io.layeratlas.bench.simulate.SimulationSpec;
import io.layeratlas.db.Database;
import io.layeratlas.db.index.IndexBatch;
import io.layeratlas.db.index.IndexWriter;
import io.layeratlas.events.SnapshotEnvelope;
import io.layeratlas.embedded.EmbeddedPostgresServer;
import io.layeratlas.events.EventCodec;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Where the indexer's write path spends its time: applies a simulated fleet's records (as the indexer would, 500
 * records per set-based batch transaction; round 2 is every host's unchanged resend) straight through {@link IndexWriter}, with every JDBC statement timed by its SQL text.
 * No Kafka, so the figure is the write path's ceiling inside the indexer. Not a test (the name keeps it out of the
 * default run): {@code mvn -B -pl bench -am test -Dtest='io/layeratlas/bench/profile/IndexWriteProfile'
 * -Dsurefire.failIfNoSpecifiedTests=false}; the table is in {@code bench/target/surefire-reports/*IndexWriteProfile-output.txt}.
 * Size: {@code -Dprofile.hosts} (default 200) × {@code -Dprofile.images} (60). Replaces the {@link Database}'s pool by
 * reflection: a diagnostic, not an API.
 */
class IndexWriteProfile {
    private static final Map<String, LongAdder[]> STATS = new ConcurrentHashMap<>();
    // Records per transaction, as the indexer's max.poll.records.
    private static final int BATCH = 500;

    @Test
    void profile() throws Exception {
        int hosts = Integer.getInteger("profile.hosts", 200);
        int images = Integer.getInteger("profile.images", 60);
        FleetSimulator sim = new FleetSimulator(SimulationSpec.of(42, hosts, images));
        try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.startTemporary();
             Database db = Database.migrateAndOpen(pg.createDatabase("profile"), pg.user(), "", 2)) {
            instrument(db);
            IndexWriter writer = new IndexWriter(db);
            for (int round = 0; round <= 2; round++) {
                MockProducer<String, byte[]> producer = new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
                // Round 2 is every host's full resend of round 1, unchanged.
                var report = round < 2 ? sim.publishRound(producer, round)
                        : sim.publishResendRound(producer, 1, FleetSimulator.resendGeneration(1));
                List<ProducerRecord<String, byte[]>> records = producer.history();
                STATS.clear();
                long t0 = System.nanoTime();
                for (int i = 0; i < records.size(); i += BATCH) {
                    List<ProducerRecord<String, byte[]>> part = records.subList(i, Math.min(records.size(), i + BATCH));
                    IndexBatch batch = new IndexBatch();
                    for (int j = 0; j < part.size(); j++) {
                        ProducerRecord<String, byte[]> r = part.get(j);
                        var envelope = SnapshotEnvelope.fromHeaders(name -> {
                            var h = r.headers().lastHeader(name);
                            return h == null ? null : h.value();
                        });
                        if (envelope.isPresent() && r.topic().equals(sim.hostLayersResendTopic())) {
                            batch.addUnchanged(j, r.key(), envelope.get());
                        } else {
                            batch.add(j, timed("java: EventCodec.decode", () -> EventCodec.decode(r.value())), r.value(),
                                    envelope.map(SnapshotEnvelope::holdings).orElse(null));
                        }
                    }
                    writer.inTransaction(tx -> timed("java+sql: IndexTransaction.apply", () -> tx.apply(batch)));
                }
                double s = (System.nanoTime() - t0) / 1e9;
                System.out.printf("%n== round %d: %d records, %d host-layer links in %.1f s = %.0f links/s%n",
                        round, records.size(), report.hostLayerLinks(), s, report.hostLayerLinks() / s);
                long sqlNanos = STATS.entrySet().stream().filter(e -> !e.getKey().startsWith("java:"))
                        .mapToLong(e -> e.getValue()[1].sum()).sum();
                System.out.printf("time in JDBC calls: %.1f s (%.0f%%)%n", sqlNanos / 1e9, 100 * sqlNanos / 1e9 / s);
                STATS.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[1].sum(), a.getValue()[1].sum()))
                        .limit(25).forEach(e -> System.out.printf("%8.2f s %8d calls %8.3f ms/call  %s%n",
                                e.getValue()[1].sum() / 1e9, e.getValue()[0].sum(),
                                e.getValue()[1].sum() / 1e6 / Math.max(1, e.getValue()[0].sum()), e.getKey()));
            }
        }
    }

    interface Work<T> {
        T run() throws Exception;
    }

    static <T> T timed(String label, Work<T> work) {
        long t0 = System.nanoTime();
        try {
            return work.run();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            LongAdder[] a = STATS.computeIfAbsent(label, k -> new LongAdder[]{new LongAdder(), new LongAdder()});
            a[0].increment();
            a[1].add(System.nanoTime() - t0);
        }
    }

    /** Replaces the Database's pool with one whose connections time every statement. */
    private static void instrument(Database db) throws Exception {
        Field f = Database.class.getDeclaredField("dataSource");
        f.setAccessible(true);
        HikariDataSource old = (HikariDataSource) f.get(db);
        HikariConfig config = new HikariConfig();
        old.copyStateTo(config);
        config.setPoolName("profile");
        HikariDataSource timedPool = new HikariDataSource(config) {
            @Override
            public Connection getConnection() throws java.sql.SQLException {
                Connection c = super.getConnection();
                return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[]{Connection.class},
                        (p, m, args) -> {
                            try {
                                if (m.getName().equals("prepareStatement") && args.length == 1) {
                                    PreparedStatement ps = (PreparedStatement) m.invoke(c, args);
                                    String label = label((String) args[0]);
                                    return Proxy.newProxyInstance(PreparedStatement.class.getClassLoader(),
                                            new Class<?>[]{PreparedStatement.class}, (p2, m2, a2) -> {
                                                if (m2.getName().startsWith("execute")) {
                                                    return timed(label, () -> invoke(m2, ps, a2));
                                                }
                                                return invoke(m2, ps, a2);
                                            });
                                }
                                if (m.getName().equals("createStatement") && (args == null || args.length == 0)) {
                                    java.sql.Statement st = (java.sql.Statement) m.invoke(c, args);
                                    return Proxy.newProxyInstance(java.sql.Statement.class.getClassLoader(),
                                            new Class<?>[]{java.sql.Statement.class}, (p2, m2, a2) -> {
                                                if (m2.getName().startsWith("execute") && a2 != null && a2.length == 1) {
                                                    return timed(label((String) a2[0]), () -> invoke(m2, st, a2));
                                                }
                                                return invoke(m2, st, a2);
                                            });
                                }
                                if (m.getName().equals("commit")) {
                                    return timed("COMMIT", () -> m.invoke(c, args));
                                }
                                return m.invoke(c, args);
                            } catch (InvocationTargetException e) {
                                throw e.getCause();
                            }
                        });
            }
        };
        f.set(db, timedPool);
        old.close();
    }

    private static Object invoke(java.lang.reflect.Method m, Object target, Object[] args) throws Exception {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw (Exception) e.getCause();
        }
    }

    private static String label(String sql) {
        String s = sql.replaceAll("\\s+", " ").trim();
        return s.length() > 110 ? s.substring(0, 110) : s;
    }
}
