package io.layeratlas.app;

import io.layeratlas.agent.DurationConverter;
import io.layeratlas.agent.SourceSpec;
import io.layeratlas.events.SourceKind;
import io.layeratlas.ingest.Scanner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code layeratlas up}: the whole pipeline in one JVM — a real Kafka broker (KRaft), an embedded PostgreSQL, the
 * indexer, the dashboard, and one agent per source. State lives under {@code --state-dir}; a restart keeps the index.
 */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = {"Run everything in one JVM: Kafka broker (KRaft, in-process), PostgreSQL (embedded), indexer, "
                + "dashboard, and one agent per SOURCE. Ctrl-C stops it all.",
                "With no SOURCE it reads the local Docker data-root (/var/lib/docker) if it is readable."})
final class UpCommand implements Callable<Integer> {
    static final Path LOCAL_DATA_ROOT = Path.of("/var/lib/docker");

    @Parameters(arity = "0..*", paramLabel = "SOURCE",
            description = "PATH or HOST=PATH: a Docker data-root (or any source `scan` reads). HOST= sets the host ID; "
                    + "without it a copied data-root is named after its folder (…/web-01/docker → web-01).")
    List<String> sources = new ArrayList<>();

    @Option(names = "--state-dir", defaultValue = "${env:LAYERATLAS_STATE_DIR:-.layeratlas}",
            description = "Folder for the broker's log, the database and agents' state. Env: LAYERATLAS_STATE_DIR. "
                    + "Default: ${DEFAULT-VALUE}.")
    Path stateDir;

    @Option(names = "--port", defaultValue = "${env:LAYERATLAS_PORT:-7070}",
            description = "Dashboard port. Env: LAYERATLAS_PORT. Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--kafka-port", defaultValue = "${env:LAYERATLAS_KAFKA_PORT:-9092}",
            description = "Port of the in-process broker on 127.0.0.1 (0 = any free port). Env: LAYERATLAS_KAFKA_PORT. "
                    + "Default: ${DEFAULT-VALUE}.")
    int kafkaPort;

    @Option(names = "--kind", description = "Read every SOURCE as this kind instead of detecting it "
            + "(data-root, legacy-graph, archive, oci-layout, engine-api).")
    String kind;

    @Option(names = "--rescan-interval", converter = DurationConverter.class,
            defaultValue = "${env:LAYERATLAS_RESCAN_INTERVAL:-5m}",
            description = "Full rescan period of each agent, besides following changes. Env: LAYERATLAS_RESCAN_INTERVAL. "
                    + "Default: ${DEFAULT-VALUE}.")
    Duration rescanInterval;

    @Option(names = "--rebuild-index",
            description = "Drop the index and rebuild it from the Kafka topics before serving.")
    boolean rebuildIndex;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        List<SourceSpec> specs = sources.stream().map(SourceSpec::parse).toList();
        if (specs.isEmpty()) {
            // the graph-driver store (image/) or Docker's containerd image store (containerd/, or /var/lib/containerd)
            if (Files.isReadable(LOCAL_DATA_ROOT.resolve("image")) || (Files.isReadable(LOCAL_DATA_ROOT)
                    && Scanner.detect(LOCAL_DATA_ROOT.toString()).isPresent())) {
                specs = List.of(new SourceSpec(Optional.empty(), LOCAL_DATA_ROOT.toString()));
            } else {
                boolean kept = Files.isDirectory(stateDir.resolve("postgres"));
                out.println("No SOURCE given and the local Docker data-root " + LOCAL_DATA_ROOT + " is not readable here, so no agent runs"
                        + (kept ? "; the dashboard serves the index kept in " + stateDir.toAbsolutePath().normalize() + "."
                        : " and the dashboard stays empty."));
                out.println("Give one or more sources:");
                out.println("  ./layeratlas up /path/to/docker-data-root        (host ID from the folder name)");
                out.println("  ./layeratlas up web-01=/backups/web-01/docker    (host ID given)");
            }
        }
        Path state = stateDir.toAbsolutePath().normalize();
        Files.createDirectories(state);
        try (FileChannel lockFile = FileChannel.open(state.resolve("up.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            FileLock lock = lockFile.tryLock();
            if (lock == null) {
                throw new IllegalStateException("another `layeratlas up` is using " + state + "; stop it or give --state-dir");
            }
            LocalStack.Settings settings = new LocalStack.Settings(state, port, kafkaPort, specs,
                    Optional.ofNullable(kind).map(SourceKind::fromId), rescanInterval, rebuildIndex);
            LocalStack stack = LocalStack.start(settings, out);
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                out.println("stopping…");
                stack.close();
                stopped.countDown();
            }, "layeratlas-shutdown"));
            out.println();
            out.println("dashboard: http://localhost:" + stack.dashboardPort() + "/   (Ctrl-C stops everything)");
            // An indexer stopped by an error no retry fixes ends `up` non-zero with the cause.
            while (!stopped.await(1, java.util.concurrent.TimeUnit.SECONDS)) {
                var failure = stack.indexer().failure();
                if (!stack.indexer().isRunning() && failure.isPresent()) {
                    System.err.println("layeratlas up: the indexer stopped on an error no retry can fix: " + failure.get());
                    stack.close();
                    return 1;
                }
            }
            return 0;
        }
    }

}
