package io.layeratlas.db.query;

import com.fasterxml.jackson.databind.JsonNode;
import io.layeratlas.events.EventCodec;

import java.io.IOException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads {@code host_containers} into answers: one SQL expression, {@link #of}, gives the containers of one host
 * (running one image, or any) as a JSON array, so that a paged answer, an export streaming rows and a host page all
 * read them the same way and no answer multiplies its rows by its containers. Ordered by name, then ID.
 */
final class Containers {
    private Containers() {
    }

    /**
     * The SQL expression (a JSON array, or NULL for none) of the containers on host {@code hostKey} running image
     * {@code imageId} (SQL expressions of the enclosing query; {@code imageId} null = any image).
     */
    static String of(String hostKey, String imageId) {
        return containers(hostKey, imageId == null ? "TRUE" : "hc.image_id = " + imageId);
    }

    /**
     * The SQL expression (a JSON array, or NULL for none) of the containers on host {@code hostKey} running any image
     * of {@code imageIds} (a {@code text[]} SQL expression of the enclosing query): one subquery per host where
     * {@link #of} would be one per host and image.
     */
    static String ofAny(String hostKey, String imageIds) {
        return containers(hostKey, "hc.image_id = ANY (" + imageIds + ")");
    }

    private static String containers(String hostKey, String condition) {
        return """
                (SELECT json_agg(json_build_object('containerId', hc.container_id, 'name', hc.name, 'state', hc.state,
                                 'created', hc.created, 'imageId', hc.image_id, 'image', hc.image)
                                 ORDER BY hc.name, hc.container_id)
                   FROM host_containers hc WHERE hc.host_key = %s AND %s)""".formatted(hostKey, condition);
    }

    /**
     * The container of a row with host_containers' columns ({@code container_id, name, state, created, image_id,
     * image}): for an answer that reads containers as rows, not as {@link #of}'s JSON (the layer export).
     */
    static ContainerOnHost row(ResultSet rs) throws SQLException {
        return new ContainerOnHost(rs.getString("container_id"), rs.getString("name"), rs.getString("state"),
                Sql.instant(rs, "created"), rs.getString("image_id"), rs.getString("image"));
    }

    /** The containers of an {@link #of} column's value (null = none). */
    static List<ContainerOnHost> parse(String json) {
        List<ContainerOnHost> out = new ArrayList<>();
        if (json == null) {
            return out;
        }
        try {
            for (JsonNode c : EventCodec.mapper().readTree(json)) {
                String created = text(c, "created");
                out.add(new ContainerOnHost(text(c, "containerId"), text(c, "name"), text(c, "state"),
                        created == null ? null : OffsetDateTime.parse(created).toInstant(), text(c, "imageId"),
                        text(c, "image")));
            }
        } catch (IOException | RuntimeException e) {
            throw new QueryException("containers read back are not the JSON built for them: " + e.getMessage(), e);
        }
        return out;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.path(field);
        return v.isNull() || v.isMissingNode() ? null : v.asText();
    }
}
