package io.layeratlas.app;

import io.layeratlas.events.SourceKind;
import io.layeratlas.ingest.agent.Agent;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code layeratlas agent}: scans this host's image storage, publishes it to Kafka, follows changes. */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = {"Scan this host's image storage, publish image configs and the host's inventory to Kafka, "
                + "then follow changes (Engine API events or the data-root's metadata) with periodic full rescans.",
                "Opens storage read-only."})
final class AgentCommand implements Callable<Integer> {
    @Mixin
    KafkaOptions kafka;

    @Option(names = "--source", defaultValue = "${env:LAYERATLAS_SOURCE:-/var/lib/docker}",
            description = "What to read: a Docker data-root, unix:///var/run/docker.sock, an archive or an OCI layout. "
                    + "Env: LAYERATLAS_SOURCE. Default: ${DEFAULT-VALUE}.")
    String source;

    @Option(names = "--kind", defaultValue = "${env:LAYERATLAS_SOURCE_KIND}",
            description = "Source kind instead of detecting it: data-root, legacy-graph, archive, oci-layout, "
                    + "engine-api. Env: LAYERATLAS_SOURCE_KIND.")
    String kind;

    @Option(names = "--host-id", defaultValue = "${env:LAYERATLAS_HOST_ID}",
            description = "This host's stable ID. Env: LAYERATLAS_HOST_ID. Default: /etc/machine-id, else the Docker "
                    + "daemon's ID, else the hostname.")
    String hostId;

    @Option(names = "--state-dir", defaultValue = "${env:LAYERATLAS_STATE_DIR:-/var/lib/layeratlas}",
            description = "Where the agent keeps its generation counter, so it keeps growing across restarts. "
                    + "Env: LAYERATLAS_STATE_DIR. Default: ${DEFAULT-VALUE}.")
    Path stateDir;

    @Option(names = "--rescan-interval", converter = DurationConverter.class,
            defaultValue = "${env:LAYERATLAS_RESCAN_INTERVAL:-5m}",
            description = "Full rescan period, besides following changes. Env: LAYERATLAS_RESCAN_INTERVAL. "
                    + "Default: ${DEFAULT-VALUE}.")
    Duration rescanInterval;

    @Option(names = "--metrics-port", defaultValue = "${env:LAYERATLAS_METRICS_PORT:-0}",
            description = "Serve Prometheus metrics on this port (0 = off). Env: LAYERATLAS_METRICS_PORT. "
                    + "Default: ${DEFAULT-VALUE}.")
    int metricsPort;

    @Override
    public Integer call() throws Exception {
        Optional<SourceKind> forced = Optional.ofNullable(kind).filter(k -> !k.isBlank()).map(SourceKind::fromId);
        String id = HostIds.forSource(new SourceSpec(Optional.empty(), source), Optional.ofNullable(hostId));
        Agent agent = Agents.start(source, forced, id, kafka.bootstrap, kafka.clientProperties(), stateDir,
                rescanInterval, metricsPort, inventory -> System.out.println("host " + inventory.hostId() + ": "
                        + inventory.images().size() + " images, " + inventory.layers().size() + " layers"));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            agent.close();
            stopped.countDown();
        }, "agent-shutdown"));
        stopped.await();
        return 0;
    }
}
