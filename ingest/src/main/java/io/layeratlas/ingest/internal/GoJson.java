package io.layeratlas.ingest.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;

/**
 * JSON as Go's {@code encoding/json} reads and writes it, which is how Docker, containerd and the OCI tools
 * read and write every JSON file the readers parse ({@code manifest.json}, {@code index.json}, manifests, image
 * configs, {@code repositories.json}, {@code repositories-<driver>}, {@code repositories}, v1 {@code json},
 * layerdb and distribution files, tar-split lines, container configs, Engine API answers). The one decoding path
 * of the module: readers parse with {@link #parse} and look struct fields up with {@link #field}. Thread-safe.
 *
 * <p>Decoding, as {@code json.Unmarshal} into Docker's structs does (Go {@code encoding/json}, "Unmarshal"):
 * <ul>
 *   <li>a struct field matches an object member whose name equals it ignoring case ({@code "config"},
 *       {@code "repoTags"}, {@code "rootfS"}): {@link #field};</li>
 *   <li>where members match the same field more than once, the last one in the document wins (an exact duplicate
 *       key too); map keys ({@code Repositories}, {@code annotations}, labels) are exact, last duplicate wins;</li>
 *   <li>unknown members are ignored; invalid UTF-8 in the input becomes U+FFFD, as Go replaces it.</li>
 * </ul>
 * An object in the tree keeps its members in the order of their <em>last</em> occurrence, so the last
 * case-insensitive match in member order is Go's choice.
 *
 * <p>Encoding ({@link #write}), as {@code json.Marshal} writes: no white space; in strings {@code "}, {@code \},
 * control characters, {@code <}, {@code >}, {@code &}, U+2028 and U+2029 escaped ({@code \n}, {@code \r},
 * {@code \t} short, the rest {@code \}{@code u00XX}); everything else as is. Object members keep their order
 * (a Go {@code json.RawMessage} keeps its bytes); the caller sorts where Go marshals a map.
 */
public final class GoJson {
    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private static final JsonFactory FACTORY = JsonFactory.builder()
            // duplicate keys are legal input for Go: the last one wins (see parse)
            .disable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .build();
    private static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);

    private GoJson() {
    }

    /**
     * Parses a JSON document of any shape.
     *
     * @param bytes the file's bytes (UTF-8)
     * @param where how problems name the file ({@code archive.tar!manifest.json}, a path under the root)
     * @param what  what the file is, for the reason ({@code "manifest.json"}, {@code "image config"})
     * @throws UnreadableItemException naming {@code where}: empty (0 bytes), or not valid JSON with the parser's own
     *                                 message, line and column
     */
    public static JsonNode parse(byte[] bytes, String where, String what) {
        if (bytes.length == 0) {
            throw new UnreadableItemException(where, what + " is empty (0 bytes)");
        }
        return parse(new String(bytes, StandardCharsets.UTF_8), where, what);
    }

    /** As {@link #parse(byte[], String, String)} for text already decoded. */
    public static JsonNode parse(String text, String where, String what) {
        try (JsonParser p = FACTORY.createParser(text)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                throw new UnreadableItemException(where, what + " holds no JSON value (only white space)");
            }
            return value(p, t);
        } catch (JsonProcessingException e) {
            throw new UnreadableItemException(where, what + " is not valid JSON: " + describe(e), e);
        } catch (IOException e) {
            throw new UnreadableItemException(where, what + " cannot be read: " + e.getMessage(), e);
        }
    }

    /**
     * Parses a document that must be a JSON object (a config, a manifest, an index).
     *
     * @throws UnreadableItemException as {@link #parse(byte[], String, String)}, or when the value is not an object
     */
    public static ObjectNode parseObject(byte[] bytes, String where, String what) {
        JsonNode n = parse(bytes, where, what);
        if (!(n instanceof ObjectNode o)) {
            throw new UnreadableItemException(where, what + " is a JSON " + kind(n) + ", not an object");
        }
        return o;
    }

    /** The parser's message with where it stopped: {@code Unexpected character … (line 1, column 12)}. */
    static String describe(JsonProcessingException e) {
        JsonLocation at = e.getLocation();
        String msg = e.getOriginalMessage();
        return at == null || at.getLineNr() < 0 ? msg : msg + " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
    }

    /** {@code object}, {@code array}, {@code string}, {@code number}, {@code boolean} or {@code null}, as JSON names it. */
    public static String kind(JsonNode n) {
        if (n == null || n.isMissingNode()) {
            return "nothing";
        }
        return switch (n.getNodeType()) {
            case OBJECT, POJO -> "object";
            case ARRAY -> "array";
            case STRING, BINARY -> "string";
            case NUMBER -> "number";
            case BOOLEAN -> "boolean";
            default -> "null";
        };
    }

    private static JsonNode value(JsonParser p, JsonToken t) throws IOException {
        switch (t) {
            case START_OBJECT -> {
                ObjectNode o = NODES.objectNode();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    JsonNode v = value(p, p.nextToken());
                    // a repeated key moves to its last position, so member order is order of last occurrence
                    o.remove(name);
                    o.set(name, v);
                }
                return o;
            }
            case START_ARRAY -> {
                ArrayNode a = NODES.arrayNode();
                JsonToken e;
                while ((e = p.nextToken()) != JsonToken.END_ARRAY) {
                    a.add(value(p, e));
                }
                return a;
            }
            case VALUE_STRING -> {
                return NODES.textNode(p.getText());
            }
            case VALUE_NUMBER_INT -> {
                return switch (p.getNumberType()) {
                    case INT -> NODES.numberNode(p.getIntValue());
                    case LONG -> NODES.numberNode(p.getLongValue());
                    default -> NODES.numberNode(p.getBigIntegerValue());
                };
            }
            case VALUE_NUMBER_FLOAT -> {
                return NODES.numberNode(p.getDecimalValue());
            }
            case VALUE_TRUE -> {
                return NODES.booleanNode(true);
            }
            case VALUE_FALSE -> {
                return NODES.booleanNode(false);
            }
            case VALUE_NULL -> {
                return NODES.nullNode();
            }
            default -> throw new com.fasterxml.jackson.core.JsonParseException(p, "unexpected token " + t);
        }
    }

    /**
     * A struct field of a decoded object, as Go matches it: the last member whose name equals {@code name} ignoring
     * case. {@link MissingNode} when {@code obj} is not an object or has no such member (so lookups chain).
     */
    public static JsonNode field(JsonNode obj, String name) {
        if (obj == null || !obj.isObject()) {
            return MissingNode.getInstance();
        }
        JsonNode found = MissingNode.getInstance();
        Iterator<Map.Entry<String, JsonNode>> it = obj.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equalsIgnoreCase(name)) {
                found = e.getValue();
            }
        }
        return found;
    }

    /** {@link #field} along a path of struct fields ({@code field(n, "RootFS", "Layers")}). */
    public static JsonNode field(JsonNode obj, String name, String... more) {
        JsonNode n = field(obj, name);
        for (String m : more) {
            n = field(n, m);
        }
        return n;
    }

    /** A string field's value; empty for an absent or null member, or one of another type (Go leaves "" then). */
    public static String text(JsonNode obj, String name) {
        JsonNode n = field(obj, name);
        return n.isTextual() ? n.textValue() : "";
    }

    /**
     * A digest-valued string field ({@code digest}, {@code Config} of a descriptor).
     *
     * @param where how the problem names the object ({@code index.json manifests[0]})
     * @throws UnreadableItemException naming {@code where} and the field: missing, not a string, or not a digest
     */
    public static io.layeratlas.events.Digest digest(JsonNode obj, String name, String where) {
        JsonNode n = field(obj, name);
        if (absent(n)) {
            throw new UnreadableItemException(where, name + " is missing");
        }
        if (!n.isTextual()) {
            throw new UnreadableItemException(where, name + " is a JSON " + kind(n) + ", not a digest string");
        }
        try {
            return io.layeratlas.events.Digest.parse(n.textValue());
        } catch (IllegalArgumentException e) {
            throw new UnreadableItemException(where, name + ": " + e.getMessage());
        }
    }

    /** Whether the member is absent or JSON {@code null}: Go leaves the field's zero value. */
    public static boolean absent(JsonNode n) {
        return n == null || n.isMissingNode() || n.isNull();
    }

    /** Writes a tree compactly as Go's encoder does (see the class comment). */
    public static String write(JsonNode n) {
        StringBuilder sb = new StringBuilder();
        write(n, sb);
        return sb.toString();
    }

    static void write(JsonNode n, StringBuilder sb) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            sb.append("null");
        } else if (n.isObject()) {
            sb.append('{');
            Iterator<Map.Entry<String, JsonNode>> it = n.fields();
            boolean first = true;
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!first) {
                    sb.append(',');
                }
                first = false;
                string(e.getKey(), sb);
                sb.append(':');
                write(e.getValue(), sb);
            }
            sb.append('}');
        } else if (n.isArray()) {
            sb.append('[');
            for (int i = 0; i < n.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                write(n.get(i), sb);
            }
            sb.append(']');
        } else if (n.isTextual()) {
            string(n.textValue(), sb);
        } else if (n.isBigDecimal()) {
            // a json.RawMessage keeps the number as written; the decimal keeps its digits
            sb.append(n.decimalValue().toString());
        } else {
            // integers and booleans: Jackson keeps integers exactly
            sb.append(n.asText());
        }
    }

    /**
     * Appends {@code s} as a JSON string quoted as Go's {@code encoding/json} quotes it (what Docker writes: {@code <},
     * {@code >}, {@code &}, U+2028 and U+2029 escaped too); {@code null} as {@code null}.
     */
    public static StringBuilder quote(StringBuilder sb, String s) {
        if (s == null) {
            return sb.append("null");
        }
        string(s, sb);
        return sb;
    }

    static void string(String s, StringBuilder sb) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == '\u2028' || c == '\u2029') {
                        sb.append("\\u").append(HEX[c >> 12 & 15]).append(HEX[c >> 8 & 15])
                                .append(HEX[c >> 4 & 15]).append(HEX[c & 15]);
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
