package io.layeratlas.agent;

import io.layeratlas.ingest.agent.Agent;
import io.layeratlas.ingest.agent.AgentConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code layeratlas agent}: scans this host's image storage, publishes it to Kafka, follows changes. Every option
 * here is one of {@link AgentConfig#OPTIONS}, with the same environment variable (checked by a test).
 */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = {"Scan this host's image storage, publish image configs and the host's inventory to Kafka, "
                + "then follow changes (Engine API events, or the data-root's metadata) with periodic full rescans.",
                "Opens storage read-only. Durations: 500ms, 30s, 5m, 2h, 1d or ISO-8601 (PT30S)."})
public final class AgentCommand implements Callable<Integer> {
    @Mixin
    KafkaOptions kafka;

    @Option(names = "--source", defaultValue = "${env:LAYERATLAS_SOURCE:-/var/lib/docker}",
            description = "Image storage to read: a Docker data-root, an archive, an OCI layout, or the Engine API "
                    + "(unix:///var/run/docker.sock). Env: LAYERATLAS_SOURCE. Default: ${DEFAULT-VALUE}.")
    String source;

    @Option(names = "--kind", defaultValue = "${env:LAYERATLAS_KIND}",
            description = "Reader to use instead of detecting it: data-root, legacy-graph, archive, oci-layout, "
                    + "engine-api. Env: LAYERATLAS_KIND.")
    String kind;

    @Option(names = "--host-id", defaultValue = "${env:LAYERATLAS_HOST_ID}",
            description = "This host's stable ID. Env: LAYERATLAS_HOST_ID. Default: /etc/machine-id, else the Docker "
                    + "daemon's ID, else the hostname.")
    String hostId;

    @Option(names = "--topic-prefix", defaultValue = "${env:LAYERATLAS_TOPIC_PREFIX}",
            description = "Prefix for the layeratlas.* topic names. Env: LAYERATLAS_TOPIC_PREFIX.")
    String topicPrefix;

    @Option(names = "--rescan-interval", defaultValue = "${env:LAYERATLAS_RESCAN_INTERVAL:-5m}",
            description = "Full rescan when nothing signalled a change. Env: LAYERATLAS_RESCAN_INTERVAL. Default: ${DEFAULT-VALUE}.")
    String rescanInterval;

    @Option(names = "--heartbeat-interval", defaultValue = "${env:LAYERATLAS_HEARTBEAT_INTERVAL:-30s}",
            description = "Time between heartbeats. Env: LAYERATLAS_HEARTBEAT_INTERVAL. Default: ${DEFAULT-VALUE}.")
    String heartbeatInterval;

    @Option(names = "--full-resend-interval", defaultValue = "${env:LAYERATLAS_FULL_RESEND_INTERVAL:-24h}",
            description = "Republish unchanged state and every config this often (heals a lost topic). "
                    + "Env: LAYERATLAS_FULL_RESEND_INTERVAL. Default: ${DEFAULT-VALUE}.")
    String fullResendInterval;

    @Option(names = "--debounce", defaultValue = "${env:LAYERATLAS_DEBOUNCE:-250ms}",
            description = "Quiet time after a storage change before rescanning. Env: LAYERATLAS_DEBOUNCE. Default: ${DEFAULT-VALUE}.")
    String debounce;

    @Option(names = "--state-dir", defaultValue = "${env:LAYERATLAS_STATE_DIR:-/var/lib/layeratlas-agent}",
            description = "Folder for the agent's state (its generation counter, which must keep growing across "
                    + "restarts). Env: LAYERATLAS_STATE_DIR. Default: ${DEFAULT-VALUE}.")
    String stateDir;

    @Option(names = "--docker-host", defaultValue = "${env:LAYERATLAS_DOCKER_HOST}",
            description = "Daemon to follow /events from. Env: LAYERATLAS_DOCKER_HOST. Default: the source if it is an "
                    + "Engine API URI, else watch the data-root's metadata files.")
    String dockerHost;

    @Option(names = "--metrics-port", defaultValue = "${env:LAYERATLAS_METRICS_PORT:-0}",
            description = "Serve Prometheus metrics at /metrics on this port (0 = off). Env: LAYERATLAS_METRICS_PORT. "
                    + "Default: ${DEFAULT-VALUE}.")
    String metricsPort;

    @Option(names = "--max-message-bytes", defaultValue = "${env:LAYERATLAS_MAX_MESSAGE_BYTES}",
            description = "Largest Kafka record value in bytes; snapshots are chunked below it. "
                    + "Env: LAYERATLAS_MAX_MESSAGE_BYTES. Default: 1000000.")
    String maxMessageBytes;

    @Option(names = "--packages", negatable = true, defaultValue = "${env:LAYERATLAS_PACKAGES:-true}", fallbackValue = "true",
            description = "Read OS package databases (dpkg, apk, rpm) from each layer's own contents and publish them once "
                    + "per diff ID (topic layeratlas.layer-packages); --no-packages turns it off. Env: LAYERATLAS_PACKAGES. "
                    + "Default: ${DEFAULT-VALUE}.")
    boolean packages;

    @Option(names = {"--label", "--labels"}, paramLabel = "KEY=VALUE", defaultValue = "${env:LAYERATLAS_LABELS}",
            description = "An operator label published with this host (env=prod); repeatable, or several "
                    + "comma-separated (values cannot hold commas). The dashboard filters by them (label=env=prod). "
                    + "Env: LAYERATLAS_LABELS (comma-separated).")
    java.util.List<String> labels;

    @Override
    public Integer call() throws Exception {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("source", source);
        values.put("kind", kind);
        values.put("host-id", hostId);
        values.put("bootstrap-servers", kafka.bootstrapServers());
        values.put("topic-prefix", topicPrefix);
        values.put("rescan-interval", rescanInterval);
        values.put("heartbeat-interval", heartbeatInterval);
        values.put("full-resend-interval", fullResendInterval);
        values.put("debounce", debounce);
        values.put("state-dir", stateDir);
        values.put("docker-host", dockerHost);
        values.put("metrics-port", metricsPort);
        values.put("max-message-bytes", maxMessageBytes);
        values.put("packages", String.valueOf(packages));
        values.put("labels", labels == null ? null : String.join(",", labels.stream().filter(l -> l != null).toList()));
        values.values().removeIf(v -> v == null);
        AgentConfig config = AgentConfig.fromValues(values, kafka.clientProperties());
        Agent agent = Agents.start(config, inventory -> System.out.println("host " + inventory.hostId() + ": "
                + inventory.images().size() + " images, " + inventory.layers().size() + " layers"
                + (inventory.problems().isEmpty() ? "" : ", " + inventory.problems().size() + " items skipped")));
        Runtime.getRuntime().addShutdownHook(new Thread(agent::close, "agent-shutdown"));
        agent.awaitStop();
        return agent.failure().isPresent() ? 2 : 0;
    }
}
