package io.layeratlas.ingest.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layeratlas.events.Digest;
import io.layeratlas.events.Problem;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * The image config Docker derives from a pre-1.10 v1 image JSON, used alike by its v1 to v2 migration of a
 * {@code graph/} root (moby {@code migrate/v1/migratev1.go}) and by {@code docker load} of an archive without
 * {@code manifest.json} (moby {@code image/tarexport/load.go}, {@code legacyLoadImage}); both call
 * {@code image/v1/imagev1.go}: {@code HistoryFromConfig(json, false)} and {@code MakeConfigFromV1Config}.
 *
 * <p>The config is the v1 JSON's top-level members without {@code id, parent, Size, parent_id, layer_id,
 * throwaway} (exact names: Go decodes it into a map), plus {@code rootfs {"type":"layers","diff_ids":[…]}} and
 * {@code history} (the parent's steps plus one from this JSON: {@code created} as Go's {@code time.Time} marshals
 * it, {@code author}, {@code created_by} = {@code container_config.Cmd} joined by spaces, {@code comment}; empty
 * ones left out), keys sorted, written as Go's encoder writes ({@link GoJson#write}). The image ID is its sha256.
 *
 * <p>Limit: for a v1 JSON from Docker before 1.8.3 ({@code docker_version} below it, or absent) Docker first
 * re-marshals the JSON through its {@code V1Image} struct; that is not imitated, so such image IDs can differ from
 * Docker's. Diff IDs, v1 IDs and tags are unaffected. Stateless and thread-safe.
 */
public final class V1Migration {
    private static final Set<String> DROPPED = Set.of("id", "parent", "Size", "parent_id", "layer_id", "throwaway");

    private V1Migration() {
    }

    /**
     * One derived image config.
     *
     * @param config      the config bytes
     * @param imageId     their sha256
     * @param historyJson the config's {@code history}, for the child's derivation
     * @param created     {@code created}, or null when absent or unreadable
     * @param createdBy   the step's {@code created_by}, or null
     * @param comment     the step's {@code comment}, or null
     */
    public record Derived(byte[] config, Digest imageId, ArrayNode historyJson, Instant created, String createdBy,
                          String comment) {
    }

    /**
     * Derives the config of one v1 layer.
     *
     * @param v1            the v1 JSON object, decoded by {@link GoJson}
     * @param where         how problems name the JSON file
     * @param diffIds       the diff IDs of the parent chain and this layer, bottom first
     * @param parentHistory the parent's {@link Derived#historyJson()}, or null for a base layer
     * @param problems      receives a problem for an unreadable {@code created}
     */
    public static Derived derive(JsonNode v1, String where, List<Digest> diffIds, ArrayNode parentHistory,
                                 List<Problem> problems) {
        Instant created = null;
        String createdText = GoJson.text(v1, "created");
        if (!createdText.isEmpty()) {
            try {
                created = Rfc3339.parse(createdText);
            } catch (IllegalArgumentException e) {
                problems.add(new Problem(where, "created is " + e.getMessage()));
            }
        }
        String createdBy = joinCmd(GoJson.field(v1, "container_config", "Cmd"));
        String author = GoJson.text(v1, "author");
        String comment = GoJson.text(v1, "comment");

        ArrayNode historyJson = parentHistory == null ? JsonNodeFactory.instance.arrayNode() : parentHistory.deepCopy();
        ObjectNode step = historyJson.addObject();
        step.put("created", created == null ? "0001-01-01T00:00:00Z" : goTime(createdText));
        if (!author.isEmpty()) {
            step.put("author", author);
        }
        if (!createdBy.isEmpty()) {
            step.put("created_by", createdBy);
        }
        if (!comment.isEmpty()) {
            step.put("comment", comment);
        }

        TreeMap<String, JsonNode> top = new TreeMap<>();
        v1.fields().forEachRemaining(e -> {
            if (!DROPPED.contains(e.getKey())) {
                top.put(e.getKey(), e.getValue());
            }
        });
        ObjectNode rootfs = JsonNodeFactory.instance.objectNode();
        rootfs.put("type", "layers");
        ArrayNode ids = rootfs.putArray("diff_ids");
        diffIds.forEach(d -> ids.add(d.toString()));
        top.put("rootfs", rootfs);
        top.put("history", historyJson);
        ObjectNode config = JsonNodeFactory.instance.objectNode();
        top.forEach(config::set);
        byte[] bytes = GoJson.write(config).getBytes(StandardCharsets.UTF_8);
        return new Derived(bytes, Digest.sha256Of(bytes), historyJson, created,
                createdBy.isEmpty() ? null : createdBy, comment.isEmpty() ? null : comment);
    }

    /** {@code container_config.Cmd} joined by spaces; Go's {@code strslice.StrSlice} also takes a single string. */
    static String joinCmd(JsonNode cmd) {
        if (cmd.isTextual()) {
            return cmd.textValue();
        }
        if (!cmd.isArray()) {
            return "";
        }
        List<String> parts = new ArrayList<>();
        cmd.forEach(c -> parts.add(c.asText()));
        return String.join(" ", parts);
    }

    /** A time as Go's time.Time marshals it: RFC 3339 with trailing fraction zeros dropped, Z for offset 0. */
    static String goTime(String rfc3339) {
        OffsetDateTime t = OffsetDateTime.parse(rfc3339);
        StringBuilder sb = new StringBuilder(String.format("%04d-%02d-%02dT%02d:%02d:%02d", t.getYear(),
                t.getMonthValue(), t.getDayOfMonth(), t.getHour(), t.getMinute(), t.getSecond()));
        if (t.getNano() != 0) {
            String frac = String.format("%09d", t.getNano()).replaceAll("0+$", "");
            sb.append('.').append(frac);
        }
        int off = t.getOffset().getTotalSeconds();
        if (off == 0) {
            sb.append('Z');
        } else {
            sb.append(off < 0 ? '-' : '+').append(String.format("%02d:%02d", Math.abs(off) / 3600, Math.abs(off) / 60 % 60));
        }
        return sb.toString();
    }
}
