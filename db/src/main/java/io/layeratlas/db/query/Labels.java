package io.layeratlas.db.query;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import io.layeratlas.events.EventCodec;

import java.util.Map;
import java.util.TreeMap;

/**
 * Operator labels of hosts ({@code hosts.labels}, a JSON object of strings) and the filter answers take:
 * {@code label=env=prod}, repeatable; a host passes when it carries every label asked for
 * ({@code h.labels @> ?::jsonb}, served by the GIN index {@code hosts_labels}). No labels asked = every host.
 */
public final class Labels {
    private static final TypeReference<TreeMap<String, String>> MAP = new TypeReference<>() {
    };

    /** The SQL condition on {@code hosts h}; its one parameter is {@link #json}. */
    static final String FILTER = "h.labels @> ?::jsonb";

    private Labels() {
    }

    /**
     * Parses {@code key=value} filters, as the API's {@code label} parameter carries them.
     *
     * @throws QueryException.InvalidParameter for an item without {@code =} or with an empty key
     */
    public static Map<String, String> parseFilters(Iterable<String> items) {
        Map<String, String> out = new TreeMap<>();
        for (String item : items) {
            int eq = item.indexOf('=');
            if (eq <= 0) {
                throw new QueryException.InvalidParameter("label must be key=value, not '" + item + "'");
            }
            out.put(item.substring(0, eq), item.substring(eq + 1));
        }
        return out;
    }

    /** The labels as the JSON object {@link #FILTER} binds. */
    static String json(Map<String, String> labels) {
        try {
            return EventCodec.mapper().writeValueAsString(new TreeMap<>(labels));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode labels", e);
        }
    }

    /** Whether labels JSON ({@link #json}) filters nothing. */
    static boolean none(String json) {
        return json == null || json.isEmpty() || json.equals("{}");
    }

    static Map<String, String> parse(String json) {
        if (none(json)) {
            return Map.of(); // most hosts have no labels; the export reads every host's
        }
        try {
            return EventCodec.mapper().readValue(json, MAP);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("hosts.labels is not a JSON object of strings: " + e.getOriginalMessage(), e);
        }
    }
}
