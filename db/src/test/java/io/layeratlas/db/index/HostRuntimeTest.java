package io.layeratlas.db.index;

import io.layeratlas.db.Database;
import io.layeratlas.embedded.EmbeddedPostgresServer;
import io.layeratlas.events.ContainerRecord;
import io.layeratlas.events.HostMetadata;
import io.layeratlas.events.HostSnapshot;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.LayerAtlasEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Issue 16: a snapshot's containers and host metadata replace the host's in the index, through the write path. */
class HostRuntimeTest {
    private static EmbeddedPostgresServer postgres;
    private static final AtomicInteger databases = new AtomicInteger();
    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00.123456Z");

    private Database db;
    private IndexWriter writer;
    private List<ImageRecord> images;

    @BeforeAll
    static void startPostgres() {
        postgres = EmbeddedPostgresServer.startTemporary();
    }

    @AfterAll
    static void stopPostgres() {
        postgres.close();
    }

    @BeforeEach
    void freshDatabase() {
        db = Database.migrateAndOpen(postgres.createDatabase("r" + databases.incrementAndGet()), postgres.user(), "", 3);
        writer = new IndexWriter(db);
        images = new SyntheticFleet(1, 3).images();
    }

    @AfterEach
    void closeDatabase() {
        db.close();
    }

    private void apply(LayerAtlasEvent... events) {
        IndexBatch batch = new IndexBatch();
        for (int i = 0; i < events.length; i++) {
            batch.add(i, events[i]);
        }
        writer.inTransaction(tx -> tx.apply(batch));
    }

    private HostSnapshot snapshot(long generation, List<ContainerRecord> containers, HostMetadata host) {
        HostSnapshot s = SyntheticFleet.snapshot("web-01", generation, images);
        return new HostSnapshot(s.schemaVersion(), s.hostId(), s.generation(), s.chunk(), s.chunkCount(), s.scannedAt(),
                s.agentVersion(), s.sourceKind(), s.source(), s.images(), s.layers(), s.problems(), containers, host);
    }

    private ContainerRecord container(String id, String name, String state, int image) {
        return new ContainerRecord(id.repeat(64 / id.length()), name, state, T0, images.get(image).id(), "shop/api:" + image);
    }

    private List<String> rows(String sql) {
        List<String> out = new ArrayList<>();
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                StringBuilder sb = new StringBuilder();
                for (int i = 1; i <= n; i++) {
                    sb.append(i > 1 ? " | " : "").append(rs.getString(i));
                }
                out.add(sb.toString());
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    private static final String CONTAINERS = """
            SELECT left(container_id, 4), name, state, to_char(created AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
                   image_id = ANY(?), image FROM host_containers ORDER BY container_id""";

    private List<String> containers() {
        List<String> out = new ArrayList<>();
        for (String r : rows(CONTAINERS.replace("ANY(?)", "ANY(ARRAY[" + String.join(",",
                images.stream().map(i -> "'" + i.id() + "'").toList()) + "])"))) {
            out.add(r);
        }
        return out;
    }

    private List<String> metadata() {
        return rows("SELECT docker_version, storage_driver, data_root, operating_system, labels::text FROM hosts");
    }

    @Test
    void a_snapshot_s_containers_and_metadata_are_stored_on_the_host() {
        apply(snapshot(1, List.of(container("a", "web", "running", 0), container("b", "job", "exited", 1)),
                new HostMetadata("28.2.2", "overlay2", "/var/lib/docker", "Debian GNU/Linux 13 (trixie)",
                        Map.of("team", "web", "env", "prod"))));
        assertThat(containers()).containsExactly(
                "aaaa | web | running | 2026-12-01T10:00:00.123456 | t | shop/api:0",
                "bbbb | job | exited | 2026-12-01T10:00:00.123456 | t | shop/api:1");
        assertThat(metadata()).containsExactly(
                "28.2.2 | overlay2 | /var/lib/docker | Debian GNU/Linux 13 (trixie) | {\"env\": \"prod\", \"team\": \"web\"}");
    }

    @Test
    void the_next_snapshot_replaces_them_and_one_without_any_clears_them() {
        apply(snapshot(1, List.of(container("a", "web", "running", 0), container("b", "job", "exited", 1)),
                new HostMetadata(null, "overlay2", "/d", null, Map.of("env", "prod"))));
        apply(snapshot(2, List.of(container("a", "web", "exited", 0), container("c", "new", "created", 2)),
                new HostMetadata("28.2.2", "overlay2", "/d", null, Map.of("env", "staging"))));
        assertThat(containers()).containsExactly(
                "aaaa | web | exited | 2026-12-01T10:00:00.123456 | t | shop/api:0",
                "cccc | new | created | 2026-12-01T10:00:00.123456 | t | shop/api:2");
        assertThat(metadata()).containsExactly("28.2.2 | overlay2 | /d | null | {\"env\": \"staging\"}");

        // an agent from before issue 16 says nothing of either
        apply(snapshot(3, List.of(), null));
        assertThat(containers()).isEmpty();
        assertThat(metadata()).containsExactly("null | null | null | null | {}");
    }

    @Test
    void a_retired_host_runs_nothing_and_two_hosts_in_one_batch_keep_their_own() {
        HostSnapshot other = SyntheticFleet.snapshot("web-02", 1, images.subList(0, 1));
        apply(snapshot(1, List.of(container("a", "web", "running", 0)), null),
                new HostSnapshot(other.schemaVersion(), other.hostId(), 1, 0, 1, other.scannedAt(), other.agentVersion(),
                        other.sourceKind(), other.source(), other.images(), other.layers(), other.problems(),
                        List.of(container("d", "db", "running", 0)), new HostMetadata(null, null, null, null, Map.of("env", "prod"))));
        assertThat(rows("SELECT h.host_id, c.name FROM host_containers c JOIN hosts h USING (host_key) ORDER BY 1"))
                .containsExactly("web-01 | web", "web-02 | db");
        assertThat(writer.retireHost("web-01")).isTrue();
        assertThat(rows("SELECT h.host_id, c.name FROM host_containers c JOIN hosts h USING (host_key) ORDER BY 1"))
                .containsExactly("web-02 | db");
    }
}
