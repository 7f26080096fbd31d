package io.layeratlas.db.index;

import io.layeratlas.events.ContainerRecord;
import io.layeratlas.events.EventCodec;
import io.layeratlas.events.HostMetadata;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * What a snapshot says about a host beyond what it holds (issue 16): its containers ({@code host_containers}) and
 * its metadata and labels (columns of {@code hosts}). Both are replaced with each applied snapshot, for a round of
 * hosts at once, one statement each; rows and host columns that did not change are not written. Runs after
 * {@link HostContentsStore#replace} in the same round: it reads that round's hosts from {@code la_round}. The
 * caller holds the hosts' row locks.
 */
final class HostRuntimeStore {

    /** One host's containers and metadata ({@code host} null = unknown) from its applied snapshot. */
    record Runtime(int hostKey, List<ContainerRecord> containers, HostMetadata host) {
    }

    // Of the round's hosts: containers no longer reported go; new ones come; changed ones are updated. The DELETE and
    // the INSERT touch disjoint rows (gone ones are not in n), so one statement does both.
    private static final String CONTAINERS = """
            WITH n AS (
                SELECT * FROM unnest(?::integer[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
                    AS t(host_key, container_id, name, state, created, image_id, image)),
            gone AS (
                DELETE FROM host_containers hc USING la_round r
                 WHERE hc.host_key = r.host_key
                   AND NOT EXISTS (SELECT 1 FROM n WHERE n.host_key = hc.host_key AND n.container_id = hc.container_id))
            INSERT INTO host_containers AS hc (host_key, container_id, name, state, created, image_id, image)
            SELECT DISTINCT ON (host_key, container_id) host_key, container_id, name, state, created::timestamptz,
                   image_id, image
              FROM n ORDER BY host_key, container_id
            ON CONFLICT (host_key, container_id) DO UPDATE
               SET name = excluded.name, state = excluded.state, created = excluded.created,
                   image_id = excluded.image_id, image = excluded.image
             WHERE (hc.name, hc.state, hc.created, hc.image_id, hc.image)
                   IS DISTINCT FROM (excluded.name, excluded.state, excluded.created, excluded.image_id, excluded.image)
            """;

    private static final String METADATA = """
            UPDATE hosts h SET docker_version = t.docker_version, storage_driver = t.storage_driver,
                               data_root = t.data_root, operating_system = t.operating_system,
                               labels = t.labels::jsonb
              FROM unnest(?::integer[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
                   AS t(host_key, docker_version, storage_driver, data_root, operating_system, labels)
             WHERE h.host_key = t.host_key
               AND (h.docker_version, h.storage_driver, h.data_root, h.operating_system, h.labels)
                   IS DISTINCT FROM (t.docker_version, t.storage_driver, t.data_root, t.operating_system, t.labels::jsonb)
            """;

    private HostRuntimeStore() {
    }

    /** Replaces the containers of every host in {@code la_round} with those given (hosts not given have none). */
    static void replaceContainers(Statements s, List<Runtime> hosts) throws SQLException {
        Connection c = s.connection();
        List<Integer> keys = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<String> states = new ArrayList<>();
        List<String> created = new ArrayList<>();
        List<String> imageIds = new ArrayList<>();
        List<String> images = new ArrayList<>();
        for (Runtime h : hosts) {
            for (ContainerRecord r : h.containers()) {
                keys.add(h.hostKey());
                ids.add(r.id());
                names.add(r.name());
                states.add(r.state());
                created.add(r.created() == null ? null : Sql.iso(r.created()));
                imageIds.add(r.imageId() == null ? null : r.imageId().toString());
                images.add(r.image());
            }
        }
        try (PreparedStatement ps = s.prepare(CONTAINERS)) {
            ps.setArray(1, Sql.ints(c, keys));
            ps.setArray(2, Sql.texts(c, ids));
            ps.setArray(3, Sql.texts(c, names));
            ps.setArray(4, Sql.texts(c, states));
            ps.setArray(5, Sql.texts(c, created));
            ps.setArray(6, Sql.texts(c, imageIds));
            ps.setArray(7, Sql.texts(c, images));
            ps.executeUpdate();
        }
    }

    /** Sets each host's metadata and labels to its snapshot's (all unknown and no labels when it had none). */
    static void updateMetadata(Statements s, List<Runtime> hosts) throws SQLException {
        if (hosts.isEmpty()) {
            return;
        }
        Connection c = s.connection();
        List<Integer> keys = new ArrayList<>();
        List<String> versions = new ArrayList<>();
        List<String> drivers = new ArrayList<>();
        List<String> roots = new ArrayList<>();
        List<String> systems = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (Runtime h : hosts) {
            HostMetadata m = h.host() == null ? HostMetadata.unknown() : h.host();
            keys.add(h.hostKey());
            versions.add(m.dockerVersion());
            drivers.add(m.storageDriver());
            roots.add(m.dataRoot());
            systems.add(m.operatingSystem());
            try {
                labels.add(EventCodec.mapper().writeValueAsString(m.labels()));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException("cannot encode labels", e);
            }
        }
        try (PreparedStatement ps = s.prepare(METADATA)) {
            ps.setArray(1, Sql.ints(c, keys));
            ps.setArray(2, Sql.texts(c, versions));
            ps.setArray(3, Sql.texts(c, drivers));
            ps.setArray(4, Sql.texts(c, roots));
            ps.setArray(5, Sql.texts(c, systems));
            ps.setArray(6, Sql.texts(c, labels));
            ps.executeUpdate();
        }
    }
}
