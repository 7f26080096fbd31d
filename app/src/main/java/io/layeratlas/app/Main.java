package io.layeratlas.app;

import io.layeratlas.agent.AgentCommand;
import io.layeratlas.agent.CommandLines;
import io.layeratlas.agent.ScanCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code layeratlas} command. Each subcommand is one process of the deployment
 * ({@code agent}, {@code indexer}, {@code dashboard}), or a tool ({@code scan}), or all of them in one JVM ({@code up}).
 * {@code agent} and {@code scan} are the slim agent jar's own commands ({@code io.layeratlas.agent.AgentMain}).
 * Exit codes: 0 success, 1 finished but something was skipped (see the command), 2 usage or start-up error.
 */
@Command(name = "layeratlas",
        mixinStandardHelpOptions = true,
        versionProvider = CommandLines.Version.class,
        description = "Which of my hosts hold this container image layer, and how much do my hosts share?",
        subcommands = {ScanCommand.class, AgentCommand.class, IndexerCommand.class, DashboardCommand.class,
                UpCommand.class, HostsCommand.class, QueryCommands.LayerCommand.class, QueryCommands.ImageCommand.class, SimulateCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line, for tests. */
    public static CommandLine commandLine() {
        return CommandLines.configure(new CommandLine(new Main()));
    }
}
