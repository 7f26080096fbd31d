package io.layeratlas.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import java.io.IOException;

/**
 * Encodes and decodes {@link LayerAtlasEvent}s as UTF-8 JSON. Thread-safe.
 * Times are RFC 3339 strings, digests {@code sha256:<hex>}, sizes bytes.
 */
public final class EventCodec {

    private static final ObjectMapper MAPPER = newMapper();

    private EventCodec() {
    }

    /** The mapper every LayerAtlas JSON uses (events, scan output, API): ISO times, unknown fields ignored. */
    public static ObjectMapper newMapper() {
        return JsonMapper.builder()
                .addModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                // Newer agents may add fields within one schema version; old indexers must still read them.
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .build();
    }

    public static ObjectMapper mapper() {
        return MAPPER;
    }

    public static byte[] encode(LayerAtlasEvent event) {
        try {
            return MAPPER.writeValueAsBytes(event);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + event.getClass().getSimpleName(), e);
        }
    }

    /**
     * Decodes one record value.
     *
     * @throws UndecodableEventException if the bytes are not JSON, carry an unknown {@code type} or
     *                                   {@code schemaVersion}, or fail a record's validation
     */
    public static LayerAtlasEvent decode(byte[] value) {
        if (value == null) {
            throw new UndecodableEventException("null value (tombstone)");
        }
        JsonNode tree;
        try {
            tree = MAPPER.readTree(value);
        } catch (JsonProcessingException e) {
            throw new UndecodableEventException("not JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UndecodableEventException("not JSON: " + e.getMessage(), e);
        }
        if (tree == null || !tree.isObject()) {
            throw new UndecodableEventException("not a JSON object");
        }
        JsonNode version = tree.get("schemaVersion");
        if (version == null || !version.canConvertToInt()) {
            throw new UndecodableEventException("no schemaVersion");
        }
        if (version.asInt() != LayerAtlasEvent.SCHEMA_VERSION) {
            throw new UndecodableEventException("unknown schemaVersion " + version.asInt()
                    + " (this reader knows " + LayerAtlasEvent.SCHEMA_VERSION + ")");
        }
        try {
            return MAPPER.treeToValue(tree, LayerAtlasEvent.class);
        } catch (JsonProcessingException e) {
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            String why = root instanceof IllegalArgumentException || root instanceof NullPointerException
                    ? root.getMessage() : e.getOriginalMessage();
            throw new UndecodableEventException("invalid event: " + why, e);
        }
    }
}
