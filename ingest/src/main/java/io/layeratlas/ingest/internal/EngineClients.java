package io.layeratlas.ingest.internal;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import com.github.dockerjava.transport.DockerHttpClient;

import java.time.Duration;

/**
 * The one way this module builds a Docker Engine API client (docker-java over Apache HttpClient 5), shared by
 * the agent ({@code /info}, {@code /events}) and the Engine API reader. Short connection timeout (2 seconds),
 * because the daemon may be absent; at most 4 connections, because the agent's calls are few and sequential.
 */
public final class EngineClients {
    private EngineClients() {
    }

    /**
     * The raw HTTP client, for endpoints docker-java has no command for ({@code /images/{id}/history},
     * {@code /system/df}) and for reading answers as JSON trees. Close it when done.
     *
     * @param dockerHost      {@code unix:///path/to/docker.sock}, {@code tcp://host:port} or {@code npipe://…}
     * @param responseTimeout how long one response may take; {@link Duration#ZERO} for none (the event stream)
     * @throws IllegalArgumentException if the URI is not a Docker host URI
     */
    public static DockerHttpClient http(String dockerHost, Duration responseTimeout) {
        DefaultDockerClientConfig config = config(dockerHost);
        ApacheDockerHttpClient.Builder http = new ApacheDockerHttpClient.Builder()
                .dockerHost(config.getDockerHost())
                .sslConfig(config.getSSLConfig())
                .maxConnections(4)
                .connectionTimeout(Duration.ofSeconds(2));
        if (!responseTimeout.isZero()) {
            http.responseTimeout(responseTimeout);
        }
        return http.build();
    }

    /** A docker-java client on {@link #http}. Close it when done. */
    public static DockerClient client(String dockerHost, Duration responseTimeout) {
        return DockerClientImpl.getInstance(config(dockerHost), http(dockerHost, responseTimeout));
    }

    private static DefaultDockerClientConfig config(String dockerHost) {
        return DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(dockerHost).build();
    }
}
