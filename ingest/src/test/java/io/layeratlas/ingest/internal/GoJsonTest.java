package io.layeratlas.ingest.internal;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Decoding as Go's {@code encoding/json} documents it (package doc, "Unmarshal"): "preferring an exact match but
 * also accepting a case-insensitive match" of member names to struct fields, unknown members ignored, and members
 * applied in document order, so a later duplicate overwrites an earlier one.
 */
class GoJsonTest {

    static JsonNode parse(String json) {
        return GoJson.parse(json.getBytes(StandardCharsets.UTF_8), "f.json", "test file");
    }

    @Test
    void a_struct_field_matches_a_member_in_any_case() {
        JsonNode m = parse("{\"config\":\"c.json\",\"repoTags\":[\"a:1\"],\"LAYERS\":[\"l.tar\"],\"extra\":1}");
        assertThat(GoJson.text(m, "Config")).isEqualTo("c.json");
        assertThat(GoJson.field(m, "RepoTags").get(0).asText()).isEqualTo("a:1");
        assertThat(GoJson.field(m, "Layers").size()).isEqualTo(1);
        assertThat(GoJson.field(m, "Parent").isMissingNode()).isTrue();
    }

    @Test
    void the_last_of_duplicate_members_wins_whatever_their_case() {
        assertThat(GoJson.text(parse("{\"Config\":\"a\",\"Config\":\"b\"}"), "Config")).isEqualTo("b");
        assertThat(GoJson.text(parse("{\"Config\":\"a\",\"config\":\"b\"}"), "Config")).isEqualTo("b");
        assertThat(GoJson.text(parse("{\"config\":\"a\",\"Config\":\"b\"}"), "Config")).isEqualTo("b");
        // an exact duplicate after a case variant: the last in the document, not the first exact one
        assertThat(GoJson.text(parse("{\"rootfs\":\"a\",\"RootFS\":\"b\",\"rootfs\":\"c\"}"), "rootfs")).isEqualTo("c");
    }

    @Test
    void a_parse_error_keeps_the_parsers_message_with_line_and_column() {
        assertThatThrownBy(() -> parse("[{\"Config\":\"a\",\n  \"Layers\": [\"x\" \"y\"]}]"))
                .isInstanceOf(UnreadableItemException.class)
                .satisfies(e -> {
                    UnreadableItemException u = (UnreadableItemException) e;
                    assertThat(u.path()).isEqualTo("f.json");
                    assertThat(u.reason()).startsWith("test file is not valid JSON: Unexpected character")
                            .contains("was expecting comma").contains("(line 2, column 18)");
                });
        assertThatThrownBy(() -> GoJson.parse(new byte[0], "f.json", "test file"))
                .hasMessage("f.json: test file is empty (0 bytes)");
    }

    @Test
    void invalid_utf8_becomes_the_replacement_character_as_in_go() {
        byte[] bytes = {'{', '"', 'a', '"', ':', '"', (byte) 0xff, '"', '}'};
        assertThat(GoJson.text(GoJson.parse(bytes, "f", "x"), "a")).isEqualTo("\uFFFD");
    }

    @Test
    void writing_escapes_as_go_does() {
        assertThat(GoJson.write(parse("{\"b\":\"<&>\\u2028\",\"a\":[1,true,null,\"\\u0001\"]}")))
                .isEqualTo("{\"b\":\"\\u003c\\u0026\\u003e\\u2028\",\"a\":[1,true,null,\"\\u0001\"]}");
    }
}
