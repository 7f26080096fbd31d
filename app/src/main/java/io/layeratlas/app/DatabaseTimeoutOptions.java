package io.layeratlas.app;

import io.layeratlas.agent.DurationConverter;

import io.layeratlas.db.Database;
import picocli.CommandLine.Option;

import java.time.Duration;

/**
 * Time limits of a reading process's database pool ({@link Database.Timeouts}); defaults are
 * {@link Database.Timeouts#READER_DEFAULTS}, where each is explained.
 */
final class DatabaseTimeoutOptions {
    @Option(names = "--db-connect-timeout", converter = DurationConverter.class,
            defaultValue = "${env:LAYERATLAS_DB_CONNECT_TIMEOUT:-5s}",
            description = "Longest wait to connect to PostgreSQL or for a pooled connection (whole seconds, at least 1s). "
                    + "Env: LAYERATLAS_DB_CONNECT_TIMEOUT. Default: ${DEFAULT-VALUE}.")
    Duration connect;

    @Option(names = "--db-socket-timeout", converter = DurationConverter.class,
            defaultValue = "${env:LAYERATLAS_DB_SOCKET_TIMEOUT:-15s}",
            description = "Longest wait for any answer from PostgreSQL, for a server that died or froze (whole seconds; "
                    + "0 = none). Env: LAYERATLAS_DB_SOCKET_TIMEOUT. Default: ${DEFAULT-VALUE}.")
    Duration socket;

    @Option(names = "--db-statement-timeout", converter = DurationConverter.class,
            defaultValue = "${env:LAYERATLAS_DB_STATEMENT_TIMEOUT:-10s}",
            description = "PostgreSQL cancels a query running longer (statement_timeout; 0 = none). "
                    + "Env: LAYERATLAS_DB_STATEMENT_TIMEOUT. Default: ${DEFAULT-VALUE}.")
    Duration statement;

    /** @throws IllegalArgumentException if a limit is out of range */
    Database.Timeouts timeouts() {
        return new Database.Timeouts(connect, socket, statement);
    }
}
