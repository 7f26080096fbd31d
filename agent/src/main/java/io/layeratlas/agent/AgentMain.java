package io.layeratlas.agent;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The slim agent's command ({@code layeratlas-agent.jar}, the {@code layeratlas-agent} image): only {@code agent} and
 * {@code scan}, the same {@link AgentCommand} and {@link ScanCommand} the full {@code layeratlas} jar runs, without the
 * indexer, the dashboard, the embedded Kafka broker or PostgreSQL. So a deployment file's arguments
 * ({@code agent --source …}) mean the same on either jar.
 * Exit codes: 0 success, 1 finished but something was skipped (see the command), 2 usage or start-up error.
 */
@Command(name = "layeratlas",
        mixinStandardHelpOptions = true,
        versionProvider = CommandLines.Version.class,
        description = "The LayerAtlas agent: reads this host's image storage and publishes it to Kafka.",
        subcommands = {ScanCommand.class, AgentCommand.class, CommandLine.HelpCommand.class})
public final class AgentMain {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line, for tests. */
    public static CommandLine commandLine() {
        return CommandLines.configure(new CommandLine(new AgentMain()));
    }
}
