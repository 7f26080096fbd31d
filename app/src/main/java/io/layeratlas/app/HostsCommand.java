package io.layeratlas.app;

import io.layeratlas.agent.DurationConverter;
import io.layeratlas.db.Database;
import io.layeratlas.db.index.HostLiveness;
import io.layeratlas.db.index.IndexWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;

/** {@code layeratlas hosts list|retire}: the operator's view of agents, and retiring hosts that are gone for good. */
@Command(name = "hosts", mixinStandardHelpOptions = true,
        description = "List the hosts the index knows, or retire one that is gone for good.",
        subcommands = {HostsCommand.List.class, HostsCommand.Retire.class})
final class HostsCommand {

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Print every host: ID, last snapshot generation, last heartbeat, last scan, and whether it is stale.")
    static final class List implements Callable<Integer> {
        @Mixin
        DatabaseOptions database;

        @Option(names = "--stale-after", converter = DurationConverter.class,
                defaultValue = "${env:LAYERATLAS_STALE_AFTER:-5m}",
                description = "A host without heartbeat or snapshot for this long is stale. Env: LAYERATLAS_STALE_AFTER. "
                        + "Default: ${DEFAULT-VALUE}.")
        Duration staleAfter;

        @Override
        public Integer call() {
            try (Database db = Database.open(database.url, database.user, database.password, 1, true)) {
                System.out.printf("%-36s %-15s %-31s %-31s %s%n", "HOST", "GENERATION", "LAST HEARTBEAT", "LAST SCAN", "STATE");
                for (HostLiveness.HostStatus h : new HostLiveness(db).hosts(staleAfter, Instant.now())) {
                    System.out.printf("%-36s %-15d %-31s %-31s %s%n", h.hostId(), h.generation(), h.lastHeartbeatAt(),
                            h.scannedAt(), h.stale() ? "stale" : "live");
                }
                return 0;
            }
        }
    }

    @Command(name = "retire", mixinStandardHelpOptions = true,
            description = {"Remove a host and everything it held from the index (the index's counters follow).",
                    "A newer snapshot from the same host brings it back. Needs write access to the database."})
    static final class Retire implements Callable<Integer> {
        @Mixin
        DatabaseOptions database;

        @Parameters(paramLabel = "HOST-ID", description = "The host to retire.")
        String hostId;

        @Override
        public Integer call() {
            try (Database db = Database.migrateAndOpen(database.url, database.user, database.password, 1)) {
                if (new IndexWriter(db).retireHost(hostId)) {
                    System.out.println("retired host " + hostId);
                    return 0;
                }
                System.err.println("no host " + hostId + " in the index");
                return 1;
            }
        }
    }
}
