package io.layeratlas.agent;

import io.layeratlas.events.LayerAtlasVersion;
import picocli.CommandLine;

/**
 * How every LayerAtlas command line behaves, for the full {@code layeratlas} jar and the slim agent jar alike:
 * usage width, version, and start-up failures printed as one line (exit code 2) instead of a stack trace.
 */
public final class CommandLines {
    private CommandLines() {
    }

    /** Configures {@code cli} (a top-level command) and returns it. */
    public static CommandLine configure(CommandLine cli) {
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

    /** {@code layeratlas <version>}, the build's version ({@link LayerAtlasVersion}). */
    public static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{"layeratlas " + LayerAtlasVersion.get()};
        }
    }
}
