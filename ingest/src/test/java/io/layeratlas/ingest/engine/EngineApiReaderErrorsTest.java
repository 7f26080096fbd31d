package io.layeratlas.ingest.engine;

import io.layeratlas.ingest.UnreadableSourceException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Sources the Engine API reader cannot read at all: no daemon is needed to see these refused. */
class EngineApiReaderErrorsTest {

    @Test
    void a_socket_that_does_not_exist_is_an_unreadable_source_naming_it(@TempDir Path dir) {
        String source = "unix://" + dir.resolve("docker.sock");
        assertThatThrownBy(() -> new EngineApiReader().read(source, "h"))
                .isInstanceOf(UnreadableSourceException.class)
                .hasMessageStartingWith(source + ": ")
                .hasMessageContaining("no socket there: is dockerd running");
    }

    @Test
    void a_tcp_address_where_nothing_listens_is_an_unreadable_source() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // free once closed: nothing listens there
        }
        String source = "tcp://127.0.0.1:" + port;
        assertThatThrownBy(() -> new EngineApiReader().read(source, "h"))
                .isInstanceOf(UnreadableSourceException.class)
                .hasMessageStartingWith(source + ": cannot reach the Docker daemon: ")
                .hasMessageContaining("Connection refused");
    }

    @Test
    void a_source_that_is_not_a_docker_host_uri_is_refused() {
        assertThatThrownBy(() -> new EngineApiReader().read("http://example.invalid", "h"))
                .isInstanceOf(UnreadableSourceException.class)
                .hasMessageContaining("not a Docker host URI");
    }
}
