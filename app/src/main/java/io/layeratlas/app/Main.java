package io.layeratlas.app;

import io.layeratlas.events.LayerAtlasVersion;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code layeratlas} command. Each subcommand is one process of the deployment
 * ({@code agent}, {@code indexer}, {@code dashboard}), or a tool ({@code scan}), or all of them in one JVM ({@code up}).
 * Exit codes: 0 success, 1 finished but something was skipped (see the command), 2 usage or start-up error.
 */
@Command(name = "layeratlas",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Which of my hosts hold this container image layer, and how much do my hosts share?",
        subcommands = {ScanCommand.class, AgentCommand.class, IndexerCommand.class, DashboardCommand.class,
                UpCommand.class, HostsCommand.class, SimulateCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line, for tests. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        // Wide enough that defaults like jdbc:postgresql://localhost:5432/layeratlas are not broken mid-value.
        cli.setUsageHelpWidth(140);
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            // A start-up failure is the user's to fix: say what failed, not a stack trace.
            cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + ex.getMessage());
            if (System.getenv("LAYERATLAS_DEBUG") != null) {
                ex.printStackTrace(cmd.getErr());
            }
            return 2;
        });
        return cli;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{"layeratlas " + LayerAtlasVersion.get()};
        }
    }
}
