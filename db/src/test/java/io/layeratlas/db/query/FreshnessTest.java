package io.layeratlas.db.query;

import io.layeratlas.db.Database;
import io.layeratlas.embedded.EmbeddedPostgresServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The freshness of an answer over many stale hosts and over few, read from the whole fleet's indexes (V17, V24: most of
 * the fleet stale walks the hosts in host ID order, a few gathers them) and from an aggregate over the hosts a filter
 * keeps: the same count, the first {@value Freshness#STALE_LISTED} host IDs listed.
 */
class FreshnessTest {
    static EmbeddedPostgresServer pg;
    static Database db;
    static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
    static final Freshness.Policy POLICY = new Freshness.Policy(Clock.fixed(NOW, ZoneOffset.UTC), Duration.ofMinutes(5));

    @BeforeAll
    static void load() throws Exception {
        pg = EmbeddedPostgresServer.startTemporary();
        db = Database.migrateAndOpen(pg.createDatabase("freshness"), pg.user(), "", 2);
        // 150 hosts that last reported a day ago (one never did), 3 that reported a minute ago, 1 retired long ago.
        try (Connection c = db.dataSource().getConnection(); var s = c.prepareStatement("""
                INSERT INTO hosts (host_id, last_heartbeat_at, snapshot_applied_at, scanned_at, retired_at)
                VALUES (?, ?, ?, ?, ?)""")) {
            for (int i = 0; i < 154; i++) {
                String id = i < 150 ? "old-%03d".formatted(i) : i < 153 ? "new-%d".formatted(i) : "gone";
                Instant at = i < 150 ? NOW.minus(Duration.ofDays(1)) : NOW.minus(Duration.ofMinutes(1));
                s.setString(1, id);
                s.setObject(2, i == 0 ? null : java.sql.Timestamp.from(at));
                s.setObject(3, i == 0 ? null : java.sql.Timestamp.from(at.minusSeconds(30)));
                s.setObject(4, java.sql.Timestamp.from(at.minusSeconds(60)));
                s.setObject(5, id.equals("gone") ? java.sql.Timestamp.from(NOW.minus(Duration.ofDays(30))) : null);
                s.addBatch();
            }
            s.executeBatch();
        }
    }

    @AfterAll
    static void close() {
        db.close();
        pg.close();
    }

    @Test
    void an_answer_over_more_stale_hosts_than_it_lists_counts_them_all_and_lists_the_first_by_host_id() throws Exception {
        List<String> first = new ArrayList<>();
        for (int i = 0; i < Freshness.STALE_LISTED; i++) {
            first.add("old-%03d".formatted(i));
        }
        try (Connection c = db.dataSource().getConnection()) {
            for (String filter : List.of("TRUE", "h.host_id <> 'nobody'")) {
                Freshness f = Sql.freshness(c, POLICY, filter);
                assertThat(f.hostCount()).as(filter).isEqualTo(153);
                assertThat(f.staleHostCount()).as(filter).isEqualTo(150);
                assertThat(f.staleHosts()).as(filter).containsExactlyElementsOf(first);
                assertThat(f.allFresh()).as(filter).isFalse();
                assertThat(f.oldestReportAt()).as(filter).isEqualTo(NOW.minus(Duration.ofDays(1)));
                assertThat(f.oldestInventoryAt()).as(filter).isEqualTo(NOW.minus(Duration.ofDays(1)).minusSeconds(60));
            }
            // Two days: only the host that never reported is stale, fewer than half the fleet (the other read).
            Freshness.Policy days = new Freshness.Policy(POLICY.clock(), Duration.ofDays(2));
            for (String filter : List.of("TRUE", "h.host_id <> 'nobody'")) {
                Freshness f = Sql.freshness(c, days, filter);
                assertThat(f.hostCount()).as(filter).isEqualTo(153);
                assertThat(f.staleHostCount()).as(filter).isEqualTo(1);
                assertThat(f.staleHosts()).as(filter).containsExactly("old-000");
            }
            Freshness fresh = Sql.freshness(c, POLICY, "h.host_id LIKE 'new-%'");
            assertThat(fresh.hostCount()).isEqualTo(3);
            assertThat(fresh.staleHostCount()).isZero();
            assertThat(fresh.allFresh()).isTrue();
        }
    }

    @Test
    void an_answer_over_fewer_stale_hosts_than_half_the_fleet_lists_the_first_of_those_that_reported_and_not()
            throws Exception {
        // 300 more hosts that reported a minute ago: the 150 stale ones (149 reported a day ago, old-000 never) are
        // now fewer than half the fleet, gathered from V17's range in report order, and the one that never reported.
        // The range's reports run against host ID order (old-149 the oldest), so a gather cut short of the count
        // would miss the first host IDs.
        List<String> first = new ArrayList<>();
        for (int i = 0; i < Freshness.STALE_LISTED; i++) {
            first.add("old-%03d".formatted(i));
        }
        try (Connection c = db.dataSource().getConnection()) {
            c.setAutoCommit(false);
            try (var s = c.prepareStatement("""
                    INSERT INTO hosts (host_id, last_heartbeat_at, snapshot_applied_at, scanned_at)
                    SELECT 'fresh-' || n, ?, ?, ? FROM generate_series(1, 300) n""")) {
                s.setObject(1, java.sql.Timestamp.from(NOW.minus(Duration.ofMinutes(1))));
                s.setObject(2, java.sql.Timestamp.from(NOW.minus(Duration.ofMinutes(2))));
                s.setObject(3, java.sql.Timestamp.from(NOW.minus(Duration.ofMinutes(3))));
                s.executeUpdate();
            }
            try (var s = c.createStatement()) {
                s.executeUpdate("""
                        UPDATE hosts
                           SET last_heartbeat_at = last_heartbeat_at - substr(host_id, 5)::int * interval '1 s',
                               snapshot_applied_at = snapshot_applied_at - substr(host_id, 5)::int * interval '1 s'
                         WHERE host_id LIKE 'old-%'""");
            }
            for (String filter : List.of("TRUE", "h.host_id <> 'nobody'")) {
                Freshness f = Sql.freshness(c, POLICY, filter);
                assertThat(f.hostCount()).as(filter).isEqualTo(453);
                assertThat(f.staleHostCount()).as(filter).isEqualTo(150);
                assertThat(f.staleHosts()).as(filter).containsExactlyElementsOf(first);
            }
            c.rollback();
        }
    }
}
