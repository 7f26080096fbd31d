package io.layeratlas.dashboard;

import io.javalin.Javalin;
import io.layeratlas.dashboard.web.WebApp;
import io.layeratlas.db.Database;

import java.time.Clock;
import java.util.Objects;

/**
 * The dashboard's factory: HTML pages and the JSON API ({@code /api/v1/...}, described by
 * {@code /api/v1/openapi.json}) over the index in {@link Database}.
 *
 * <p>The dashboard only reads: it works with the read-only role ({@code db/roles/dashboard-readonly.sql}).
 */
public final class Dashboard {
    private Dashboard() {
    }

    /**
     * Builds the app, unstarted: the caller calls {@code start(config.port())} and, on shutdown, {@code stop()}.
     * The database stays the caller's to close.
     */
    public static Javalin create(DashboardConfig config, Database database) {
        return create(config, database, Clock.systemUTC());
    }

    /** As {@link #create(DashboardConfig, Database)}, with the clock that decides staleness (for tests). */
    public static Javalin create(DashboardConfig config, Database database, Clock clock) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(clock, "clock");
        return WebApp.create(config, database.dataSource(), clock);
    }
}
