package io.layeratlas.dashboard;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The dashboard's settings, validated once. Immutable.
 *
 * @param port        TCP port to listen on, 1–65535 (the caller passes it to {@code Javalin.start(port)})
 * @param bearerToken when present, API calls and pages need {@code Authorization: Bearer <token>} (or the basic
 *                    credentials, if also configured)
 * @param basicAuth   when present, browsers are asked for these credentials (HTTP basic authentication)
 * @param staleAfter  a host whose last heartbeat or snapshot is older than this is flagged stale; positive
 */
public record DashboardConfig(int port, Optional<String> bearerToken, Optional<BasicCredentials> basicAuth,
                              Duration staleAfter) {
    /** 7070: free on most machines and easy to remember; no privileges needed. */
    public static final int DEFAULT_PORT = 7070;
    /**
     * Five minutes: ten missed heartbeats at the agent's default 30-second interval, long enough that a slow
     * indexer or a broker restart does not flag the whole fleet.
     */
    public static final Duration DEFAULT_STALE_AFTER = Duration.ofMinutes(5);

    public DashboardConfig {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1-65535: " + port);
        }
        Objects.requireNonNull(bearerToken, "bearerToken");
        Objects.requireNonNull(basicAuth, "basicAuth");
        Objects.requireNonNull(staleAfter, "staleAfter");
        if (staleAfter.isNegative() || staleAfter.isZero()) {
            throw new IllegalArgumentException("staleAfter must be positive: " + staleAfter);
        }
        if (bearerToken.isPresent() && bearerToken.get().isBlank()) {
            throw new IllegalArgumentException("bearer token must not be blank");
        }
    }

    /** Port 7070, no access control, hosts stale after five minutes. */
    public static DashboardConfig defaults() {
        return new DashboardConfig(DEFAULT_PORT, Optional.empty(), Optional.empty(), DEFAULT_STALE_AFTER);
    }

    public DashboardConfig withPort(int port) {
        return new DashboardConfig(port, bearerToken, basicAuth, staleAfter);
    }

    public DashboardConfig withBearerToken(String token) {
        return new DashboardConfig(port, Optional.of(token), basicAuth, staleAfter);
    }

    public DashboardConfig withBasicAuth(String user, String password) {
        return new DashboardConfig(port, bearerToken, Optional.of(new BasicCredentials(user, password)), staleAfter);
    }

    public DashboardConfig withStaleAfter(Duration staleAfter) {
        return new DashboardConfig(port, bearerToken, basicAuth, staleAfter);
    }

    /** Whether any access control is configured. */
    public boolean authEnabled() {
        return bearerToken.isPresent() || basicAuth.isPresent();
    }

    /** Secrets masked, for logging the effective config. */
    @Override
    public String toString() {
        return "DashboardConfig[port=" + port + ", bearerToken=" + bearerToken.map(t -> "****").orElse("none")
                + ", basicAuth=" + basicAuth.map(BasicCredentials::toString).orElse("none")
                + ", staleAfter=" + staleAfter + "]";
    }

    /** User and password for HTTP basic authentication; neither may be blank, the user may not contain ':'. */
    public record BasicCredentials(String user, String password) {
        public BasicCredentials {
            Objects.requireNonNull(user, "user");
            Objects.requireNonNull(password, "password");
            if (user.isBlank() || user.contains(":") || password.isEmpty()) {
                throw new IllegalArgumentException("basic auth needs a user without ':' and a non-empty password");
            }
        }

        @Override
        public String toString() {
            return user + ":****";
        }
    }
}
