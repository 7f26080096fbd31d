package io.layeratlas.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

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
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.arbitrary;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.strings;

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
    /** Raw path or query text, sent as is: broken percent-encoding and UTF-8, encoded separators, dot segments. */
    private static final List<String> RAW_ESCAPES = List.of("%C0%AF", "%ED%A0%80", "%FF%FE", "%E2%82", "%", "%zz", "%2",
            "%%", "%2F", "%2f..%2f..%2f", "%252F", "..%2F..%2F", "%2e%2e%2f", "%2E%2E", "%5C", "%00", "%0d%0aSet-Cookie:x=1",
            "a%00b", "%C3%28", "%F4%90%80%80", "+", "%2B", "%3B", "%23frag", ";jsessionid=1", "..;/", "%E2%80%AE",
            "../", "./", "..", "//x");
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
     * 1,000 generated requests (QuickTheories; a failure is shrunk to a small request and reported with its seed):
     * about 20 s here once the shared test fleet is loaded.
     */
    @Test
    void no_hostile_request_gets_a_5xx_an_unescaped_echo_or_a_4xx_without_a_message() {
        qt().withExamples(1000).withShrinkCycles(200).forAll(requests()).checkAssert(this::checkAnswer);
    }

    private void checkAnswer(Request request) {
        Response r = send(request.target());
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
    /** Found by the property above (QuickTheories' smallest case): Javalin's own path decoding threw, answered 500. */
    @Test
    void a_broken_percent_escape_in_a_path_is_a_400_that_says_so() {
        for (String target : List.of("/api/v1/layers/%2?hosts_cursor=%27", "/api/v1/images/%zz", "/hosts/web-01%E")) {
            Response r = send(target);
            assertThat(r.status()).as(target).isEqualTo(400);
            assertThat(message(r)).as(target).containsIgnoringCase("percent");
        }
    }

    /**
     * The property once drew {@code GET /hosts/%2…} and got a 500 from Javalin's static-file handler, where a path no
     * route takes ends up: every raw value the generator has, in every path parameter of every endpoint, alone and
     * followed by a further segment, so that the kind is checked whole and not at random.
     */
    @Test
    void every_raw_escape_in_every_path_parameter_gets_a_4xx_with_a_reason_or_an_answer() {
        for (Endpoint e : ENDPOINTS) {
            List<Param> inPath = e.params().stream().filter(Param::inPath).toList();
            if (inPath.isEmpty()) {
                continue;
            }
            for (String raw : RAW_ESCAPES) {
                for (String tail : List.of("", "/x", "%2")) {
                    Map<String, List<Value>> values = new LinkedHashMap<>();
                    for (Param p : e.params()) {
                        values.put(p.name(), p.inPath() ? List.of(Value.raw(raw + tail)) : List.of());
                    }
                    checkAnswer(new Request(e, values));
                }
            }
        }
        // Paths no route takes, which Javalin hands to its static files.
        for (String prefix : List.of("/static/", "/webjars/", "/no-such-page/", "/hosts/web-01/x/")) {
            for (String raw : RAW_ESCAPES) {
                for (String tail : List.of("", "/x", "%2", "/%2F%2")) {
                    String target = prefix + raw + tail;
                    checkAnswer(new Request(new Endpoint(target, List.of(), false), Map.of()));
                }
            }
        }
    }

    /** Found by the property in CI: Jetty answers an over-long request line and closes before it is all sent. */
    @Test
    void an_over_long_request_line_gets_a_4xx_with_a_reason() {
        Response r = send("/hosts?sort=%08%0A%08%01&sort=%zz&cursor=" + "a".repeat(20_000));
        assertThat(r.status()).isBetween(400, 499);
        assertThat(message(r)).isNotBlank();
    }

    @Test
    void a_nul_byte_in_a_search_is_a_400_that_names_the_parameter() {
        Response api = send("/api/v1/search?q=%00");
        assertThat(api.status()).isEqualTo(400);
        assertThat(message(api)).isEqualTo("q must not contain a NUL character (U+0000)");
        Response page = send("/search?q=web%00-01");
        assertThat(page.status()).isEqualTo(400);
        assertThat(message(page)).isEqualTo("q must not contain a NUL character (U+0000)");
        // In a path, Jetty refuses the encoded NUL itself; its reason comes in the API's JSON error body (issue 16).
        Response path = send("/api/v1/hosts/web%00-01");
        assertThat(path.status()).isEqualTo(400);
        assertThat(path.contentType()).startsWith("application/json");
        assertThat(message(path)).isNotBlank();
    }

    static Gen<Request> requests() {
        return arbitrary().pick(ENDPOINTS).flatMap(endpoint -> {
            Gen<Map<String, List<Value>>> params = Generate.constant(Map::of);
            for (Param p : endpoint.params()) {
                Gen<List<Value>> vs = p.inPath()
                        ? hostile().map((Value v) -> List.of(v))
                        : lists().of(hostile()).ofSizeBetween(0, 3); // absent, once, or repeated
                params = params.zip(vs, (m, list) -> {
                    Map<String, List<Value>> next = new LinkedHashMap<>(m);
                    next.put(p.name(), list);
                    return next;
                });
            }
            return params.map(m -> new Request(endpoint, m));
        });
    }

    /** Hostile parameter values, and some plausible ones so that deeper code is reached too. */
    static Gen<Value> hostile() {
        Gen<String> planes = lists().of(integers().between(0, 16)
                        .flatMap(plane -> integers().between(plane * 0x10000, plane * 0x10000 + 0xFFFF))
                        .assuming(cp -> cp < 0xD800 || cp > 0xDFFF)
                        .map(Character::toString)).ofSizeBetween(1, 12)
                .map(l -> String.join("", l));
        Gen<String> controls = lists().of(arbitrary().pick('\u0000', '\u0001', '\u0008', '\t', '\n', '\r', '\u001b',
                        '\u007f', '\u0085', '\u00a0', '\u2028', '\u202e', '\ufeff', '\ufffd')).ofSizeBetween(1, 4)
                .zip(arbitrary().pick("", "web-01", "sha256:", "x"), (cs, base) -> {
                    StringBuilder sb = new StringBuilder(base);
                    cs.forEach(sb::append);
                    return sb.toString();
                });
        Gen<String> metas = arbitrary().pick("'", "\"", ";", "--", "/*", "*/", "%", "_", "\\", "' OR '1'='1",
                "'; DROP TABLE hosts; --", "\\x00", "$1", "?", "::text", "E'\\\\'", "%_%", "[a-z]*", "(?i).*",
                "../", "../../../../etc/passwd", "..\\..\\", "/", "//", ".", "..", "~", "a/b", "sha256:../x",
                "true", "false", "TRUE", "yes", "1", "0", "-1", "-0", "+5", " 7 ", "1.5", "1e9", "NaN", "Infinity",
                "0x10", "2147483647", "2147483648", "-2147483649", "9223372036854775808", "99999999999999999999999999",
                "500", "501", "\u0663", "\uff15", "host", "stale", "HOST", "bytes;", "", " ", "web-01", "legacy-01",
                "sha256:", "sha256", "sha512:" + "a".repeat(128), "SHA256:" + "A".repeat(64), "0".repeat(12),
                "sha256:" + "0".repeat(64), "sha256:" + "f".repeat(63), "sha256:" + "f".repeat(65), "a".repeat(11),
                "busybox:latest", "busybox@sha256:" + "0".repeat(64), "@", ":", "#", "&", "=", "+");
        Gen<String> markup = arbitrary().pick(MARKUP);
        Gen<String> longs = integers().between(1_000, 12_000)
                .zip(arbitrary().pick("a", "0", "<", "é", "\uD83D\uDE00", "%"), (n, s) -> s.repeat(n));
        Gen<String> digestLike = strings().betweenCodePoints('0', 'f').ofLengthBetween(0, 70)
                .map(h -> h.replaceAll("[^0-9a-fA-F]", "a"))
                .zip(arbitrary().pick("", "sha256:", "sha256:sha256:"), (hex, prefix) -> prefix + hex);
        Gen<String> any = strings().allPossible().ofLengthBetween(0, 40)
                .map(s -> s.codePoints().filter(cp -> cp < 0xD800 || cp > 0xDFFF)
                        .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString());
        // Values that exist, so that answers with content (the hostile host's own markup among it) are reached too.
        Gen<String> known = arbitrary().pick(FLEET.hostile.hostId(), FLEET.hostile.imageId(), FLEET.hostile.diffId(),
                FLEET.hostile.tag(), FLEET.hostile.diffId().substring(0, "sha256:".length() + 12), "web-01", "build-01",
                TestFleet.STALE_HOST);
        Gen<String> text = Generate.frequency(List.of(
                Pair.of(3, planes), Pair.of(3, controls), Pair.of(4, metas), Pair.of(2, markup),
                Pair.of(1, longs), Pair.of(2, digestLike), Pair.of(2, any), Pair.of(3, known)));
        Gen<String> combined = Generate.frequency(Pair.of(4, text), Pair.of(1, text.zip(text, String::concat)));
        Gen<Value> rawOnes = arbitrary().pick(RAW_ESCAPES).map(Value::raw);
        return Generate.frequency(Pair.of(6, combined.map(Value::of)), Pair.of(1, rawOnes));
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
            try {
                out.write(("GET " + target + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            } catch (java.net.SocketException e) {
                // The server may answer an over-long request line (414, 431) and close before it is all sent: the
                // answer is still there to read.
            }
            InputStream in = s.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            try {
                in.transferTo(all);
            } catch (java.net.SocketException e) {
                if (all.size() == 0) {
                    throw e;
                }
            }
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
