package io.layeratlas.ingest.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.layeratlas.events.Digest;
import io.layeratlas.events.Problem;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What a reader needs from an image config (OCI image-spec, config.md; Docker's {@code image/image.go}):
 * {@code created}, {@code os}, {@code architecture}, {@code rootfs.diff_ids} and {@code history}.
 * Decoded as Go decodes it ({@link GoJson}: member names match ignoring case, the last duplicate wins).
 * Absent, null or wrong-typed fields are tolerated: each becomes a {@link Problem} naming the field, and
 * the value defaults (null time, no diff IDs, no history).
 *
 * @param created      {@code created}, or null
 * @param os           {@code os}, or null
 * @param architecture {@code architecture}, or null
 * @param diffIds      {@code rootfs.diff_ids}, bottom first
 * @param history      {@code history}, oldest first, without sizes
 */
public record ImageConfig(Instant created, String os, String architecture, List<Digest> diffIds,
                          List<Step> history) {

    /** One {@code history} entry as the config holds it. */
    public record Step(Instant created, String createdBy, String comment, boolean emptyLayer) {
    }

    /**
     * Parses config bytes.
     *
     * @param path     where the bytes came from, for problems
     * @param problems receives one problem per bad field
     * @throws UnreadableItemException if the bytes are empty or not a JSON object
     */
    public static ImageConfig parse(byte[] bytes, String path, List<Problem> problems) {
        return fromTree(GoJson.parseObject(bytes, path, "image config"), path, problems);
    }

    /** As {@link #parse} for an already parsed tree. */
    public static ImageConfig fromTree(JsonNode root, String path, List<Problem> problems) {
        Instant created = time(field(root, "created"), path, "created", problems);
        String os = text(field(root, "os"), path, "os", problems);
        String arch = text(field(root, "architecture"), path, "architecture", problems);

        List<Digest> diffIds = new ArrayList<>();
        JsonNode rootfs = field(root, "rootfs");
        if (GoJson.absent(rootfs)) {
            problems.add(new Problem(path, "rootfs is missing: the image has no layers"));
        } else if (!rootfs.isObject()) {
            problems.add(new Problem(path, "rootfs is not an object"));
        } else {
            JsonNode ids = field(rootfs, "diff_ids");
            if (GoJson.absent(ids)) {
                problems.add(new Problem(path, "rootfs.diff_ids is missing: the image has no layers"));
            } else if (!ids.isArray()) {
                problems.add(new Problem(path, "rootfs.diff_ids is not an array"));
            } else {
                for (int i = 0; i < ids.size(); i++) {
                    JsonNode id = ids.get(i);
                    try {
                        diffIds.add(Digest.parse(id.textValue()));
                    } catch (RuntimeException e) {
                        // A layer stack with a hole has no valid chain IDs above the hole: stop there.
                        problems.add(new Problem(path, "rootfs.diff_ids[" + i + "] is not a digest ("
                                + id + "); layers from here up are left out"));
                        break;
                    }
                }
            }
        }

        List<Step> history = new ArrayList<>();
        JsonNode h = field(root, "history");
        if (!GoJson.absent(h)) {
            if (!h.isArray()) {
                problems.add(new Problem(path, "history is not an array"));
            } else {
                for (int i = 0; i < h.size(); i++) {
                    JsonNode e = h.get(i);
                    String where = "history[" + i + "]";
                    if (e == null || !e.isObject()) {
                        problems.add(new Problem(path, where + " is not an object; taken as an empty step"));
                        history.add(new Step(null, null, null, true));
                        continue;
                    }
                    JsonNode empty = field(e, "empty_layer");
                    if (!GoJson.absent(empty) && !empty.isBoolean()) {
                        problems.add(new Problem(path, where + ".empty_layer is not a boolean"));
                    }
                    history.add(new Step(time(field(e, "created"), path, where + ".created", problems),
                            text(field(e, "created_by"), path, where + ".created_by", problems),
                            text(field(e, "comment"), path, where + ".comment", problems),
                            empty.asBoolean(false)));
                }
            }
        }
        return new ImageConfig(created, os, arch, List.copyOf(diffIds), List.copyOf(history));
    }

    /** A struct field as Go's decoder matches it ({@code "rootfS"} is {@code rootfs}): {@link GoJson#field}. */
    private static JsonNode field(JsonNode obj, String name) {
        return GoJson.field(obj, name);
    }

    private static String text(JsonNode n, String path, String field, List<Problem> problems) {
        if (GoJson.absent(n)) {
            return null;
        }
        if (!n.isTextual()) {
            problems.add(new Problem(path, field + " is not a string"));
            return null;
        }
        return n.textValue();
    }

    private static Instant time(JsonNode n, String path, String field, List<Problem> problems) {
        String s = text(n, path, field, problems);
        if (s == null || s.isEmpty()) {
            return null;
        }
        try {
            return Rfc3339.parse(s);
        } catch (IllegalArgumentException e) {
            problems.add(new Problem(path, field + " is " + e.getMessage()));
            return null;
        }
    }
}
