package io.layeratlas.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.statistics.Statistics;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 14, item 3: generated hostile values for every parameter of every endpoint that {@code /api/v1/openapi.json}
 * describes, and of each one's HTML page twin ({@code /api/v1/hosts/{hostId}} → {@code /hosts/{hostId}}): very long
 * strings, code points of every Unicode plane, control characters, {@code ../} and encoded slashes, broken
 * percent-encoding and UTF-8, SQL and HTML metacharacters, huge and negative numbers, repeated parameters.
 * Requests go over a plain socket so that nothing on the client side cleans them up.
 *
 * <p>No answer is a 5xx; no HTML answer contains a markup payload unescaped; JSON answers parse; every 4xx says
 * what was wrong (the API's {@code error}, the page's {@code #error-message}, or the server's own reason).
 */
class HostileRequestsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TestFleet FLEET = TestFleet.get();
    private static final List<Endpoint> ENDPOINTS = endpoints();
    /** Markup payloads; each carries this marker, which no page contains by itself. */
    private static final String MARK = "la14x";
    private static final List<String> MARKUP = List.of(
            "<script>alert('" + MARK + "')</script>",
            "\"><img src=x onerror=alert('" + MARK + "')>",
            "'><svg onload=alert(\"" + MARK + "\")>",
            "</textarea></title><b id=" + MARK + ">",
            "javascript:alert('" + MARK + "')//<a href=\"" + MARK + "\">");
    /** The tag each payload opens. */
    private static final List<String> MARKUP_TAGS = List.of("<script>alert('" + MARK, "<img src=x onerror=alert('" + MARK,
            "<svg onload=alert(\"" + MARK, "<b id=" + MARK, "<a href=\"" + MARK);

    /** A path or query parameter as the OpenAPI document declares it. */
    record Param(String name, boolean inPath) {
    }

    /** A route: its path template (with {@code {name}}), its parameters, and whether it is the JSON API. */
    record Endpoint(String template, List<Param> params, boolean api) {
    }

    /**
     * A value to send: {@code raw} goes into the request line as is (it may be broken percent-encoding);
     * {@code text} is what the server should decode it to, when that is defined.
     */
    record Value(String raw, String text) {
        static Value of(String text) {
            return new Value(encode(text), text);
        }

        static Value raw(String raw) {
            return new Value(raw, null);
        }
    }

    /** One request: the endpoint and, per parameter, the values sent (none, one, or repeated). */
    record Request(Endpoint endpoint, Map<String, List<Value>> values) {
        String target() {
            String path = endpoint.template();
            StringBuilder query = new StringBuilder();
            for (Param p : endpoint.params()) {
                List<Value> vs = values.get(p.name());
                if (p.inPath()) {
                    path = path.replace("{" + p.name() + "}", vs.get(0).raw());
                } else {
                    for (Value v : vs) {
                        query.append(query.length() == 0 ? "?" : "&").append(p.name()).append('=').append(v.raw());
                    }
                }
            }
            return path + query;
        }

        @Override
        public String toString() {
            String t = target();
            return "GET " + (t.length() > 300 ? t.substring(0, 300) + "…(" + t.length() + " chars)" : t);
        }
    }

    record Response(int status, Map<String, String> headers, String body) {
        String contentType() {
            return headers.getOrDefault("content-type", "");
        }
    }

    /**
     * 1,000 tries: about 20 s here once the shared test fleet is loaded. Edge cases off: the generators already
     * list the edges (empty, absent, repeated, longest), and jqwik's own would use up the tries.
     */
    @Property(tries = 1000, edgeCases = EdgeCasesMode.NONE)
    void no_hostile_request_gets_a_5xx_an_unescaped_echo_or_a_4xx_without_a_message(@ForAll("requests") Request request) {
        long start = System.nanoTime();
        Response r = send(request.target());
        Statistics.label("endpoint, status").collect(request.endpoint().template(), r.status());
        Statistics.label("slowest").collect(System.nanoTime() - start > 1_000_000_000L ? "over 1 s" : "under 1 s");
        assertThat(r.status()).as("status of %s", request).isBetween(200, 499);
        String type = r.contentType();
        if (type.startsWith("text/html")) {
            // A tag of a payload that opens unescaped is the injection; quotes in text content are harmless.
            for (String tag : MARKUP_TAGS) {
                assertThat(r.body()).as("%s echoes markup unescaped", request).doesNotContain(tag);
            }
        } else if (type.startsWith("application/json")) {
            assertThat(parse(r.body())).as("JSON of %s", request).isNotNull();
        }
        if (r.status() >= 400) {
            assertThat(message(r)).as("message of the %d to %s: %s", r.status(), request, r.body()).isNotBlank();
        }
        assertThat(r.body()).as("%s", request).doesNotContain("Exception").doesNotContain("\tat ");
    }

    /** Issue 14's report: a NUL in a search answered 503 "the index is not available right now" (SQLState 22021). */
    @Example
    void a_nul_byte_in_a_search_is_a_400_that_names_the_parameter() {
        Response api = send("/api/v1/search?q=%00");
        assertThat(api.status()).isEqualTo(400);
        assertThat(message(api)).isEqualTo("q must not contain a NUL character (U+0000)");
        Response page = send("/search?q=web%00-01");
        assertThat(page.status()).isEqualTo(400);
        assertThat(message(page)).isEqualTo("q must not contain a NUL character (U+0000)");
        // In a path, Jetty refuses the encoded NUL itself, with its own short plain-text reason.
        Response path = send("/api/v1/hosts/web%00-01");
        assertThat(path.status()).isEqualTo(400);
        assertThat(path.contentType()).startsWith("text/plain");
        assertThat(message(path)).startsWith("400 Bad Request: ");
    }

    @Provide
    Arbitrary<Request> requests() {
        return Arbitraries.of(ENDPOINTS).flatMap(endpoint -> {
            List<Arbitrary<Map.Entry<String, List<Value>>>> perParam = new ArrayList<>();
            for (Param p : endpoint.params()) {
                Arbitrary<List<Value>> vs = p.inPath()
                        ? hostile().map(List::of)
                        : hostile().list().ofMinSize(0).ofMaxSize(3); // absent, once, or repeated
                perParam.add(vs.map(list -> Map.entry(p.name(), list)));
            }
            if (perParam.isEmpty()) {
                return Arbitraries.just(new Request(endpoint, Map.of()));
            }
            return Combinators.combine(perParam).as(entries -> {
                Map<String, List<Value>> m = new LinkedHashMap<>();
                entries.forEach(e -> m.put(e.getKey(), e.getValue()));
                return new Request(endpoint, m);
            });
        });
    }

    /** Hostile parameter values, and some plausible ones so that deeper code is reached too. */
    static Arbitrary<Value> hostile() {
        Arbitrary<String> planes = Arbitraries.integers().between(0, 16)
                .flatMap(plane -> Arbitraries.integers().between(plane * 0x10000, plane * 0x10000 + 0xFFFF))
                .filter(cp -> cp < 0xD800 || cp > 0xDFFF)
                .map(Character::toString).list().ofMinSize(1).ofMaxSize(12).map(l -> String.join("", l));
        Arbitrary<String> controls = Arbitraries.of('\u0000', '\u0001', '\u0008', '\t', '\n', '\r', '\u001b', '\u007f',
                        '\u0085', '\u00a0', '\u2028', '\u202e', '\ufeff', '\ufffd')
                .list().ofMinSize(1).ofMaxSize(4)
                .flatMap(cs -> Arbitraries.of("", "web-01", "sha256:", "x").map(base -> {
                    StringBuilder sb = new StringBuilder(base);
                    cs.forEach(sb::append);
                    return sb.toString();
                }));
        Arbitrary<String> metas = Arbitraries.of("'", "\"", ";", "--", "/*", "*/", "%", "_", "\\", "' OR '1'='1",
                "'; DROP TABLE hosts; --", "\\x00", "$1", "?", "::text", "E'\\\\'", "%_%", "[a-z]*", "(?i).*",
                "../", "../../../../etc/passwd", "..\\..\\", "/", "//", ".", "..", "~", "a/b", "sha256:../x",
                "true", "false", "TRUE", "yes", "1", "0", "-1", "-0", "+5", " 7 ", "1.5", "1e9", "NaN", "Infinity",
                "0x10", "2147483647", "2147483648", "-2147483649", "9223372036854775808", "99999999999999999999999999",
                "500", "501", "\u0663", "\uff15", "host", "stale", "HOST", "bytes;", "", " ", "web-01", "legacy-01",
                "sha256:", "sha256", "sha512:" + "a".repeat(128), "SHA256:" + "A".repeat(64), "0".repeat(12),
                "sha256:" + "0".repeat(64), "sha256:" + "f".repeat(63), "sha256:" + "f".repeat(65), "a".repeat(11),
                "busybox:latest", "busybox@sha256:" + "0".repeat(64), "@", ":", "#", "&", "=", "+");
        Arbitrary<String> markup = Arbitraries.of(MARKUP);
        Arbitrary<String> longs = Arbitraries.integers().between(1_000, 12_000)
                .flatMap(n -> Arbitraries.of("a", "0", "<", "é", "\uD83D\uDE00", "%").map(s -> s.repeat(n)));
        Arbitrary<String> digestLike = Arbitraries.strings().withChars("0123456789abcdefABCDEF").ofMinLength(0).ofMaxLength(70)
                .flatMap(hex -> Arbitraries.of("", "sha256:", "sha256:sha256:").map(p -> p + hex));
        Arbitrary<String> any = Arbitraries.strings().all().ofMaxLength(40)
                .map(s -> s.codePoints().filter(cp -> cp < 0xD800 || cp > 0xDFFF)
                        .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString());
        // Values that exist, so that answers with content (the hostile host's own markup among it) are reached too.
        Arbitrary<String> known = Arbitraries.of(FLEET.hostile.hostId(), FLEET.hostile.imageId(), FLEET.hostile.diffId(),
                FLEET.hostile.tag(), FLEET.hostile.diffId().substring(0, "sha256:".length() + 12), "web-01", "build-01",
                TestFleet.STALE_HOST);
        Arbitrary<String> text = Arbitraries.frequencyOf(
                Tuple.of(3, planes), Tuple.of(3, controls), Tuple.of(4, metas), Tuple.of(2, markup),
                Tuple.of(1, longs), Tuple.of(2, digestLike), Tuple.of(2, any), Tuple.of(3, known));
        Arbitrary<String> combined = Arbitraries.frequencyOf(Tuple.of(4, text), Tuple.of(1,
                Combinators.combine(text, text).as(String::concat)));
        Arbitrary<Value> rawOnes = Arbitraries.of("%C0%AF", "%ED%A0%80", "%FF%FE", "%E2%82", "%", "%zz", "%2", "%%",
                "%2F", "%2f..%2f..%2f", "%252F", "..%2F..%2F", "%2e%2e%2f", "%2E%2E", "%5C", "%00", "%0d%0aSet-Cookie:x=1",
                "a%00b", "%C3%28", "%F4%90%80%80", "+", "%2B", "%3B", "%23frag", ";jsessionid=1", "..;/", "%E2%80%AE",
                "../", "./", "..", "//x").map(Value::raw);
        return Arbitraries.frequencyOf(Tuple.of(6, combined.map(Value::of)), Tuple.of(1, rawOnes));
    }

    /** Percent-encodes every byte of UTF-8 that is not unreserved (RFC 3986 section 2.3). */
    static String encode(String text) {
        StringBuilder sb = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
                sb.append((char) c);
            } else {
                sb.append('%').append(HexFormat.of().withUpperCase().toHexDigits((byte) c));
            }
        }
        return sb.toString();
    }

    /** The API's routes from its OpenAPI document, and the page twin of each that has one. */
    private static List<Endpoint> endpoints() {
        JsonNode doc = parse(send("/api/v1/openapi.json").body());
        List<Endpoint> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = doc.get("paths").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> path = it.next();
            List<Param> params = new ArrayList<>();
            for (JsonNode p : path.getValue().path("get").path("parameters")) {
                params.add(new Param(p.get("name").asText(), "path".equals(p.get("in").asText())));
            }
            out.add(new Endpoint(path.getKey(), params, true));
            // The page twin: /api/v1/x and /api/v1/x/{p} are also pages at /x and /x/{p}; sub-resources
            // (/layers/{digest}/hosts) and files (.json, .csv) are API only.
            String page = path.getKey().substring("/api/v1".length());
            if (page.matches("/[a-z]+(/\\{[A-Za-z]+})?")) {
                out.add(new Endpoint(page, params, false));
            }
        }
        out.add(new Endpoint("/", List.of(new Param("q", false)), false));
        assertThat(out).as("endpoints").hasSizeGreaterThan(12);
        return List.copyOf(out);
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + (json.length() > 300 ? json.substring(0, 300) : json), e);
        }
    }

    private static final Pattern PAGE_MESSAGE = Pattern.compile("id=\"error-message\">([^<]*)<");

    /** What a 4xx says was wrong: the API's {@code error}, the error page's message, or a plain-text reason. */
    private static String message(Response r) {
        String type = r.contentType();
        if (type.startsWith("application/json")) {
            return parse(r.body()).path("error").asText("");
        }
        if (type.startsWith("text/html")) {
            Matcher m = PAGE_MESSAGE.matcher(r.body());
            return m.find() ? m.group(1) : "";
        }
        return r.body();
    }

    /** One HTTP/1.0 exchange on a fresh socket: the request line goes out byte for byte as given. */
    static Response send(String target) {
        try (Socket s = new Socket("127.0.0.1", Integer.parseInt(FLEET.base.substring(FLEET.base.lastIndexOf(':') + 1)))) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET " + target + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            in.transferTo(all);
            String text = all.toString(StandardCharsets.UTF_8);
            int end = text.indexOf("\r\n\r\n");
            String head = end < 0 ? text : text.substring(0, end);
            String body = end < 0 ? "" : text.substring(end + 4);
            String[] lines = head.split("\r\n");
            int status = Integer.parseInt(lines[0].split(" ")[1]);
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon > 0) {
                    headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
                }
            }
            return new Response(status, headers, body);
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + target, e);
        }
    }

    /** The decoded form of a raw value, when it decodes; for messages. */
    static String decoded(String raw) {
        try {
            return URLDecoder.decode(raw, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return raw;
        }
    }
}
