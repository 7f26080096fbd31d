package io.layeratlas.bench.store;

import io.layeratlas.bench.simulate.FleetSimulator;
import io.layeratlas.bench.simulate.SimulationSpec;
import io.layeratlas.db.Database;
import io.layeratlas.db.index.BulkRecount;
import io.layeratlas.db.query.HostQuery;
import io.layeratlas.db.query.LayerQuery;
import io.layeratlas.db.query.PageRequest;
import io.layeratlas.embedded.EmbeddedPostgresServer;
import io.layeratlas.events.Digest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class CopyLoaderTest {

    @Test
    void copying_a_round_and_merging_the_next_leaves_exactly_the_simulated_host_layers(@TempDir Path work) throws Exception {
        FleetSimulator sim = new FleetSimulator(SimulationSpec.of(5, 15, 12).withChurn(1, 0.4));
        try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.startTemporary();
             Database db = Database.migrateAndOpen(pg.createDatabase("copytest"), pg.user(), "", 2);
             Connection c = db.dataSource().getConnection()) {
            CopyLoader loader = new CopyLoader(sim, work);
            CopyLoader.Load fresh = loader.loadFresh(c, 0);
            assertThat(hostLayers(c)).isEqualTo(sim.expectedHostLayers(0));
            assertThat(fresh.hostLayerLinks()).isEqualTo(sim.expectedHostLayers(0).values().stream().mapToLong(Set::size).sum());
            // What the loader copied of the fleet's tags, and the host totals it recounted, are what the indexer's
            // recount makes of the host_images and host_layers it copied.
            assertThat(BulkRecount.imageTags(c)).as("image_tags rows a recount corrected").isZero();
            assertThat(BulkRecount.hostTotals(c)).as("host rows a recount corrected").isZero();
            try (var rs = c.createStatement().executeQuery("SELECT count(*) FROM hosts WHERE image_count = 0 OR layer_count = 0")) {
                rs.next();
                assertThat(rs.getLong(1)).as("hosts without totals").isZero();
            }
            // Each host's change log, read by the API's query, says it was given the round's images and layers.
            HostQuery hosts = SqlQueries.hosts(db.dataSource());
            for (String hostId : sim.expectedHostLayers(0).keySet()) {
                HostQuery.HostDetail d = hosts.detail(hostId, new HostQuery.DetailPages(PageRequest.parse(null, "0"),
                        PageRequest.parse(null, "0"), PageRequest.parse(null, "1000")));
                assertThat(d.changes()).allMatch(ch -> ch.generation() == 1 && ch.change().equals("added"));
                assertThat(d.changes().stream().filter(ch -> ch.subject().equals("image")).map(HostQuery.Change::digest))
                        .containsExactlyInAnyOrderElementsOf(sim.expectedHostImages(0).get(hostId).stream().map(Digest::toString).toList());
                assertThat(d.changes().stream().filter(ch -> ch.subject().equals("layer")).map(HostQuery.Change::digest))
                        .containsExactlyInAnyOrderElementsOf(sim.expectedHostLayers(0).get(hostId).stream().map(Digest::toString).toList());
            }

            loader.rescan(c, 1);
            assertThat(hostLayers(c)).isEqualTo(sim.expectedHostLayers(1));
            assertThat(SqlQueries.reusePage(c)).isPositive();
            String host = sim.model().hostId(3);
            // The header, and a page of each list (a host of 12 images shows some; its layers; its change log).
            assertThat(SqlQueries.hostPage(c, hosts, host)).isGreaterThan(3);
            Digest layer = sim.expectedHostLayers(1).get(host).iterator().next();
            // The API's own statement: the first 100 holders by host ID and one past them ("is there a next page?").
            LayerQuery layers = SqlQueries.layers(db.dataSource());
            long holders = sim.expectedHostLayers(1).values().stream().filter(held -> held.contains(layer)).count();
            assertThat(SqlQueries.hostsHoldingLayer(c, layers, layer.toString())).isEqualTo((int) Math.min(holders, 101));
            assertThat(SqlQueries.layerPage(c, layers, layer.toString())).isGreaterThan(1);
            try (var rs = c.createStatement().executeQuery("""
                    SELECT count(*) FROM layer_usage u
                    WHERE u.host_count <> (SELECT count(*) FROM host_layers hl WHERE hl.layer_key = u.layer_key)""")) {
                rs.next();
                assertThat(rs.getLong(1)).as("layer_usage rows whose host_count is off").isZero();
            }
        }
    }

    private static Map<String, Set<Digest>> hostLayers(Connection c) throws Exception {
        Map<String, Set<Digest>> out = new HashMap<>();
        try (var rs = c.createStatement().executeQuery("""
                SELECT h.host_id, l.chain_id FROM host_layers hl
                JOIN hosts h ON h.host_key = hl.host_key JOIN layers l ON l.layer_key = hl.layer_key""")) {
            while (rs.next()) {
                out.computeIfAbsent(rs.getString(1), k -> new HashSet<>()).add(Digest.parse(rs.getString(2)));
            }
        }
        return out;
    }
}
