package io.layeratlas.db.query;

import io.layeratlas.db.Database;
import io.layeratlas.embedded.EmbeddedPostgresServer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReadOnlyRoleTest {

    /** Runs {@code db/roles/dashboard-readonly.sql} and creates a login in the role, as the script's header says. */
    static void createReadOnlyLogin(Database owner, String login) throws Exception {
        String script;
        try (var in = ReadOnlyRoleTest.class.getResourceAsStream("/db/roles/dashboard-readonly.sql")) {
            script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        try (Connection c = owner.dataSource().getConnection(); var s = c.createStatement()) {
            s.execute(script);
            s.execute(script); // idempotent
            s.execute("CREATE ROLE " + login + " LOGIN IN ROLE layeratlas_readonly"); // test-owned constant name
            s.execute("ALTER ROLE " + login + " SET default_transaction_read_only = on");
        }
    }

    @Test
    void the_read_only_role_can_read_every_table_and_write_none() throws Exception {
        try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.startTemporary()) {
            String url = pg.createDatabase("ro");
            try (Database owner = Database.migrateAndOpen(url, pg.user(), "", 2)) {
                createReadOnlyLogin(owner, "dashboard_ro");
            }
            // readOnly=false on purpose: the role itself must refuse writes, not only the pool setting.
            try (Database ro = Database.open(url, "dashboard_ro", "", 2, false);
                 Connection c = ro.dataSource().getConnection(); var s = c.createStatement()) {
                for (String table : new String[]{"hosts", "images", "layers", "image_layers", "layer_blobs", "image_history",
                        "image_parents", "host_images", "host_layers", "layer_usage", "image_usage", "image_tags", "host_changes"}) {
                    s.executeQuery("SELECT count(*) FROM " + table).close();
                }
                assertThatThrownBy(() -> s.executeUpdate("INSERT INTO hosts (host_id) VALUES ('x')"))
                        .isInstanceOf(SQLException.class).hasMessageContaining("read-only transaction");
                s.execute("SET default_transaction_read_only = off");
                assertThatThrownBy(() -> s.executeUpdate("INSERT INTO hosts (host_id) VALUES ('x')"))
                        .isInstanceOf(SQLException.class).hasMessageContaining("permission denied");
                assertThatThrownBy(() -> s.executeUpdate("DELETE FROM layers"))
                        .isInstanceOf(SQLException.class).hasMessageContaining("permission denied");
                assertThatThrownBy(() -> s.execute("CREATE TABLE sneaky (x int)")).isInstanceOf(SQLException.class);
                assertThat(c.isValid(1)).isTrue();
            }
        }
    }
}
