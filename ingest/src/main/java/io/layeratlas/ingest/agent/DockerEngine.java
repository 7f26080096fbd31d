package io.layeratlas.ingest.agent;

import com.github.dockerjava.api.DockerClient;
import io.layeratlas.ingest.internal.EngineClients;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** The agent's few uses of the Docker Engine API: the daemon's ID and a client for {@code /events}. */
final class DockerEngine {
    private static final Logger log = LoggerFactory.getLogger(DockerEngine.class);

    private DockerEngine() {
    }

    /** True for a Docker host URI ({@code unix://}, {@code tcp://}, {@code npipe://}). */
    static boolean isEngineUri(String s) {
        return s != null && (s.startsWith("unix://") || s.startsWith("tcp://") || s.startsWith("npipe://"));
    }

    /** True when the daemon may be there: a unix socket file that exists, or any TCP address. */
    static boolean mayBeReachable(String dockerHost) {
        if (dockerHost.startsWith("unix://")) {
            return Files.exists(Path.of(dockerHost.substring("unix://".length())));
        }
        return isEngineUri(dockerHost);
    }

    /**
     * A client with short timeouts, for a daemon that may be absent.
     *
     * @param responseTimeout how long one response may take; {@link Duration#ZERO} for none (the event stream)
     */
    static DockerClient client(String dockerHost, Duration responseTimeout) {
        return EngineClients.client(dockerHost, responseTimeout);
    }

    /** The daemon's ID ({@code docker info .ID}), or empty when it cannot be reached within about two seconds. */
    static Optional<String> daemonId(String dockerHost) {
        if (!mayBeReachable(dockerHost)) {
            return Optional.empty();
        }
        try (DockerClient docker = client(dockerHost, Duration.ofSeconds(2))) {
            return Optional.ofNullable(docker.infoCmd().exec().getId()).filter(s -> !s.isBlank());
        } catch (Exception e) {
            log.debug("Docker daemon at {} did not answer: {}", dockerHost, e.toString());
            return Optional.empty();
        }
    }
}
