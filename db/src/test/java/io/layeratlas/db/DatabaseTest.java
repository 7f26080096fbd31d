package io.layeratlas.db;

import io.layeratlas.embedded.EmbeddedPostgresServer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class DatabaseTest {

    @Test
    void migrating_a_fresh_database_creates_the_fleet_model_and_a_second_migration_changes_nothing() throws Exception {
        try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.startTemporary();
             Database db = Database.migrateAndOpen(pg.createDatabase("model"), pg.user(), "", 2)) {
            db.migrate();
            List<String> tables = new ArrayList<>();
            try (var c = db.dataSource().getConnection();
                 var rs = c.createStatement().executeQuery(
                         "select table_name from information_schema.tables where table_schema = 'public' order by 1")) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
            assertThat(tables).contains("hosts", "images", "layers", "image_layers", "layer_blobs", "image_history",
                    "image_parents", "host_images", "host_layers", "layer_usage", "image_usage", "host_changes",
                    "consumer_offsets", "pending_snapshot_chunks");
        }
    }

    /** The case: {@code layeratlas hosts retire} opens a pool of one and timed out migrating (a helper's trial). */
    @Test
    void a_pool_of_one_connection_migrates_and_then_serves() throws Exception {
        try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.startTemporary();
             Database db = Database.migrateAndOpen(pg.createDatabase("one"), pg.user(), "", 1)) {
            assertThat(show(db, "server_version")).isNotBlank();
        }
    }

    @Test
    void a_readers_connections_plan_each_statement_for_its_parameters_and_both_price_random_reads_as_in_memory()
            throws Exception {
        try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.startTemporary()) {
            String url = pg.createDatabase("plans");
            try (Database writer = Database.migrateAndOpen(url, pg.user(), "", 2);
                 Database reader = Database.open(url, pg.user(), "", 1, true)) {
                // PostgreSQL's own answer (SHOW), on a connection of each pool.
                assertThat(show(writer, "plan_cache_mode")).isEqualTo("auto");
                assertThat(show(writer, "random_page_cost")).isEqualTo("1.1");
                assertThat(show(reader, "random_page_cost")).isEqualTo("1.1");
                assertThat(show(reader, "plan_cache_mode")).isEqualTo("force_custom_plan");
                assertThat(show(reader, "statement_timeout")).isEqualTo("10s");
            }
        }
    }

    private static String show(Database db, String setting) throws Exception {
        try (var c = db.dataSource().getConnection(); var rs = c.createStatement().executeQuery("SHOW " + setting)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
