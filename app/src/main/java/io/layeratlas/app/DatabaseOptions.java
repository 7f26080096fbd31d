package io.layeratlas.app;

import picocli.CommandLine.Option;

/** PostgreSQL connection options shared by the indexer and the dashboard. */
final class DatabaseOptions {
    @Option(names = "--db-url", paramLabel = "JDBC-URL",
            defaultValue = "${env:LAYERATLAS_DB_URL:-jdbc:postgresql://localhost:5432/layeratlas}",
            description = "PostgreSQL JDBC URL. Env: LAYERATLAS_DB_URL. Default: ${DEFAULT-VALUE}.")
    String url;

    @Option(names = "--db-user", defaultValue = "${env:LAYERATLAS_DB_USER:-layeratlas}",
            description = "Database user. Env: LAYERATLAS_DB_USER. Default: ${DEFAULT-VALUE}.")
    String user;

    @Option(names = "--db-password", defaultValue = "${env:LAYERATLAS_DB_PASSWORD:-}", arity = "0..1", interactive = false,
            description = "Database password (prefer the environment). Env: LAYERATLAS_DB_PASSWORD. Never logged.")
    String password;

    @Option(names = "--db-pool-size", defaultValue = "${env:LAYERATLAS_DB_POOL_SIZE:-8}",
            description = "Most connections in the pool. Env: LAYERATLAS_DB_POOL_SIZE. Default: ${DEFAULT-VALUE}.")
    int poolSize;
}
