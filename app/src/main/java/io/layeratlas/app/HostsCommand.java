package io.layeratlas.app;

import io.layeratlas.db.Database;
import io.layeratlas.db.index.IndexWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** {@code layeratlas hosts list|retire}: the operator's view of agents, and retiring hosts that are gone for good. */
@Command(name = "hosts", mixinStandardHelpOptions = true,
        description = "List the hosts the dashboard knows, or retire one that is gone for good (from the database).",
        subcommands = {QueryCommands.HostsList.class, HostsCommand.Retire.class})
final class HostsCommand {

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
