package io.layeratlas.dashboard.web;

import io.javalin.http.Context;
import io.javalin.http.UnauthorizedResponse;
import io.layeratlas.dashboard.DashboardConfig;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Optional access control: a bearer token ({@code Authorization: Bearer <token>}) and/or HTTP basic credentials.
 * Either configured credential admits. {@code /healthz} stays open for load balancers; it reveals nothing.
 */
final class Auth {
    private final DashboardConfig config;

    Auth(DashboardConfig config) {
        this.config = config;
    }

    void check(Context ctx) {
        if (!config.authEnabled() || ctx.path().equals("/healthz")) {
            return;
        }
        String header = ctx.header("Authorization");
        if (header != null && config.bearerToken().isPresent() && header.regionMatches(true, 0, "Bearer ", 0, 7)
                && same(header.substring(7).trim(), config.bearerToken().get())) {
            return;
        }
        if (header != null && config.basicAuth().isPresent() && header.regionMatches(true, 0, "Basic ", 0, 6)) {
            var given = ctx.basicAuthCredentials();
            var want = config.basicAuth().get();
            if (given != null && same(given.getUsername(), want.user()) & same(given.getPassword(), want.password())) {
                return;
            }
        }
        if (config.basicAuth().isPresent()) {
            ctx.header("WWW-Authenticate", "Basic realm=\"LayerAtlas\", charset=\"UTF-8\"");
        } else {
            ctx.header("WWW-Authenticate", "Bearer realm=\"LayerAtlas\"");
        }
        throw new UnauthorizedResponse("authentication required");
    }

    /** Constant-time comparison, so response times do not reveal how much of a secret matched. */
    private static boolean same(String given, String expected) {
        return MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), expected.getBytes(StandardCharsets.UTF_8));
    }
}
