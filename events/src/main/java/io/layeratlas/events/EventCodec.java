package io.layeratlas.events;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import java.io.IOException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Encodes and decodes {@link LayerAtlasEvent}s as UTF-8 JSON. Thread-safe.
 * Times are RFC 3339 strings, digests {@code sha256:<hex>}, sizes bytes.
 */
public final class EventCodec {

    private static final ObjectMapper MAPPER = newMapper();

    private EventCodec() {
    }

    /**
     * The mapper every LayerAtlas JSON uses (events, scan output): RFC 3339 times written as Docker writes them
     * ({@link #rfc3339(Instant)}), unknown fields ignored.
     */
    public static ObjectMapper newMapper() {
        SimpleModule dockerTimes = new SimpleModule("docker-times");
        dockerTimes.addSerializer(Instant.class, new JsonSerializer<>() {
            @Override
            public void serialize(Instant value, JsonGenerator gen, SerializerProvider serializers) throws IOException {
                gen.writeString(rfc3339(value));
            }
        });
        // Digests straight from the parser's characters: a snapshot carries thousands, and making each one's text first
        // was the decoder's largest allocation (JFR, bench --scale full --hosts 1000).
        dockerTimes.addDeserializer(Digest.class, new JsonDeserializer<>() {
            @Override
            public Digest deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
                if (!p.hasToken(JsonToken.VALUE_STRING)) {
                    return (Digest) ctxt.handleUnexpectedToken(Digest.class, p);
                }
                try {
                    return Digest.parse(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
                } catch (IllegalArgumentException e) {
                    throw JsonMappingException.from(p, e.getMessage(), e);
                }
            }
        });
        return JsonMapper.builder()
                .addModule(new JavaTimeModule())
                .addModule(dockerTimes)
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                // Newer agents may add fields within one schema version; old indexers must still read them.
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .build();
    }

    /**
     * A time as Go's {@code time.RFC3339Nano} writes it in UTC, which is how {@code docker image inspect} prints
     * {@code Created}: fractional seconds without trailing zeros, none when whole ({@code 2026-11-29T07:25:04.07529384Z}),
     * years zero-padded to four digits ({@code 0001-01-01T00:00:00Z}).
     */
    public static String rfc3339(Instant t) {
        String seconds = SECONDS.format(LocalDateTime.ofEpochSecond(t.getEpochSecond(), 0, ZoneOffset.UTC));
        if (t.getNano() == 0) {
            return seconds + "Z";
        }
        String fraction = String.format("%09d", t.getNano());
        int end = fraction.length();
        while (fraction.charAt(end - 1) == '0') {
            end--;
        }
        return seconds + "." + fraction.substring(0, end) + "Z";
    }

    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss");

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
        // One pass straight into the records (snapshot chunks are large: a tree first would parse them twice); any
        // value that does not bind goes through the tree below, which says precisely what is wrong with it.
        try {
            LayerAtlasEvent event = MAPPER.readValue(value, LayerAtlasEvent.class);
            if (event != null && event.schemaVersion() == LayerAtlasEvent.SCHEMA_VERSION) {
                return event;
            }
        } catch (IOException | RuntimeException e) {
            // explained below
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
