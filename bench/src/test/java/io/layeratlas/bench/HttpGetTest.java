package io.layeratlas.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link HttpGet} against the JDK's own HTTP server: whole bodies, fixed-length and chunked, on kept-alive connections. */
class HttpGetTest {
    private static final byte[] BIG = new byte[300_000];
    private static final String TEXT = "{\"hostId\":\"web-01\",\"note\":\"Grüße\"}";

    static {
        for (int i = 0; i < BIG.length; i++) {
            BIG[i] = (byte) (i * 31);
        }
    }

    private HttpServer server;
    private final List<Integer> clientPorts = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/fixed", x -> answer(x, 200, BIG, false));
        server.createContext("/chunked", x -> answer(x, 200, BIG, true)); // as Jetty streams an API answer
        server.createContext("/text", x -> answer(x, 200, TEXT.getBytes(StandardCharsets.UTF_8), true));
        server.createContext("/missing", x -> answer(x, 404, "{\"error\":\"no such layer\"}".getBytes(StandardCharsets.UTF_8), false));
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void answer(HttpExchange x, int status, byte[] body, boolean chunked) throws IOException {
        clientPorts.add(x.getRemoteAddress().getPort());
        x.getRequestBody().readAllBytes();
        x.sendResponseHeaders(status, chunked ? 0 : body.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(body);
        }
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    @Test
    void reads_whole_bodies_fixed_length_and_chunked_on_one_kept_alive_connection() throws Exception {
        assertThat(HttpGet.discard(uri("/fixed"))).isEqualTo(BIG.length);
        assertThat(HttpGet.discard(uri("/chunked"))).isEqualTo(BIG.length);
        assertThat(HttpGet.text(uri("/text"))).isEqualTo(TEXT);
        // One client thread, one connection: a new TCP connection a request would be timed as the API's.
        assertThat(clientPorts).hasSize(3).containsOnly(clientPorts.get(0));
    }

    @Test
    void an_answer_other_than_200_fails_naming_the_uri_status_and_body_and_the_connection_is_kept() throws Exception {
        assertThatThrownBy(() -> HttpGet.discard(uri("/missing")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("GET " + uri("/missing") + " answered 404")
                .hasMessageContaining("no such layer");
        assertThat(HttpGet.discard(uri("/fixed"))).isEqualTo(BIG.length);
        assertThat(clientPorts).hasSize(2).containsOnly(clientPorts.get(0));
    }
}
