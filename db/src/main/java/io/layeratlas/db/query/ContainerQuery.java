package io.layeratlas.db.query;

import javax.sql.DataSource;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The containers hosts run, as their agents' last snapshots gave them ({@code host_containers}, V3): for a layer
 * (containers of any image containing it), an image, or a host. A host holding a vulnerable layer only in an unused
 * image is a different remediation from one running it. Retired hosts are left out. Thread-safe.
 */
public final class ContainerQuery {
    /** Most containers listed in one answer; pages show them per host. */
    public static final int LIMIT = 2_000;

    private final DataSource dataSource;

    public ContainerQuery(DataSource dataSource) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /**
     * A container: its name (from the host: escape), state ({@code running}, {@code created}, {@code exited}…),
     * created time and the image it runs (image ID and the reference it was started from).
     */
    public record Container(String hostId, String containerId, String name, String state, Instant created, String imageId,
                            String image) {
    }

    private static final String SELECT = """
            SELECT h.host_id, c.container_id, c.name, c.state, c.created, c.image_id, c.image
              FROM host_containers c JOIN hosts h ON h.host_key = c.host_key
             WHERE h.retired_at IS NULL AND {filter}
             ORDER BY h.host_id, c.name, c.container_id LIMIT %d""".formatted(LIMIT);

    private static final String BY_LAYER = SELECT.replace("{filter}", """
            c.image_id IN (SELECT i.image_id FROM layers l JOIN image_layers il ON il.layer_key = l.layer_key
                             JOIN images i ON i.image_key = il.image_key WHERE l.diff_id = ? OR l.chain_id = ?)""");
    private static final String BY_IMAGE = SELECT.replace("{filter}", "c.image_id = ?");
    private static final String BY_HOST = SELECT.replace("{filter}", "h.host_id = ?");

    /** Containers running any image that contains the layer with this full diff or chain ID, by host ID. */
    public Map<String, List<Container>> ofLayer(String digest) {
        return byHost(BY_LAYER, digest, digest);
    }

    /** Containers running the image with this full image ID, by host ID. */
    public Map<String, List<Container>> ofImage(String imageId) {
        return byHost(BY_IMAGE, imageId);
    }

    /** The containers of one host. */
    public List<Container> ofHost(String hostId) {
        return byHost(BY_HOST, hostId).getOrDefault(hostId, List.of());
    }

    private Map<String, List<Container>> byHost(String sql, Object... params) {
        List<Container> rows = Sql.inSnapshot(dataSource, "containers", c -> Sql.list(c, sql, rs -> new Container(
                rs.getString("host_id"), rs.getString("container_id"), rs.getString("name"), rs.getString("state"),
                Sql.instant(rs, "created"), rs.getString("image_id"), rs.getString("image")), params));
        Map<String, List<Container>> out = new LinkedHashMap<>();
        for (Container ct : rows) {
            out.computeIfAbsent(ct.hostId(), k -> new java.util.ArrayList<>()).add(ct);
        }
        return out;
    }
}
