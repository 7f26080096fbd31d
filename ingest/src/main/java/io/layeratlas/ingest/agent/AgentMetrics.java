package io.layeratlas.ingest.agent;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The agent's meters, in Prometheus names ({@code layeratlas_agent_*}). Thread-safe.
 *
 * <ul>
 *   <li>{@code layeratlas_agent_scans_total{outcome="ok|failed"}}, {@code layeratlas_agent_scan_duration_seconds}</li>
 *   <li>{@code layeratlas_agent_images}, {@code layeratlas_agent_layers}: what the last good scan found</li>
 *   <li>{@code layeratlas_agent_snapshots_published_total}, {@code layeratlas_agent_configs_published_total},
 *       {@code layeratlas_agent_heartbeats_published_total}, {@code layeratlas_agent_unchanged_scans_total}</li>
 *   <li>{@code layeratlas_agent_publish_errors_total{kind="retriable|rejected|fatal"}}</li>
 *   <li>{@code layeratlas_agent_last_publish_timestamp_seconds}: Unix seconds of the last delivered record, 0 if none</li>
 *   <li>{@code layeratlas_agent_kafka_reachable}: 1, or 0 while sends fail and only the latest state is held</li>
 *   <li>{@code layeratlas_agent_pending_records}: records held for Kafka (latest per topic key)</li>
 *   <li>{@code layeratlas_agent_generation}: the last generation Kafka acknowledged, -1 if none</li>
 * </ul>
 */
final class AgentMetrics {
    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    final Counter scansOk = Counter.builder("layeratlas.agent.scans").tag("outcome", "ok")
            .description("storage scans").register(registry);
    final Counter scansFailed = Counter.builder("layeratlas.agent.scans").tag("outcome", "failed")
            .description("storage scans").register(registry);
    final Counter unchangedScans = Counter.builder("layeratlas.agent.unchanged.scans")
            .description("scans that found nothing new, so nothing was published").register(registry);
    final Timer scanDuration = Timer.builder("layeratlas.agent.scan.duration")
            .description("time one storage scan takes").register(registry);
    final AtomicLong images = new AtomicLong();
    final AtomicLong layers = new AtomicLong();
    final Counter snapshotsPublished = Counter.builder("layeratlas.agent.snapshots.published")
            .description("host snapshots Kafka acknowledged completely").register(registry);
    final Counter configsPublished = Counter.builder("layeratlas.agent.configs.published")
            .description("image config events Kafka acknowledged").register(registry);
    final Counter layerPackagesPublished = Counter.builder("layeratlas.agent.layer.packages.published")
            .description("layer-packages events Kafka acknowledged (one per diff ID)").register(registry);
    final Counter layersRead = Counter.builder("layeratlas.agent.layers.read")
            .description("layers whose contents were read for package databases").register(registry);
    final Counter heartbeatsPublished = Counter.builder("layeratlas.agent.heartbeats.published")
            .description("heartbeats Kafka acknowledged").register(registry);
    final Counter retriableErrors = publishErrors("retriable");
    final Counter rejectedRecords = publishErrors("rejected");
    final Counter fatalErrors = publishErrors("fatal");
    final AtomicLong lastPublishEpochSeconds = new AtomicLong();
    final AtomicLong kafkaReachable = new AtomicLong(1);
    final AtomicLong pendingRecords = new AtomicLong();
    final AtomicLong generation = new AtomicLong(-1);

    AgentMetrics() {
        Gauge.builder("layeratlas.agent.images", images, AtomicLong::get).description("images the last scan found").register(registry);
        Gauge.builder("layeratlas.agent.layers", layers, AtomicLong::get).description("layers the last scan found").register(registry);
        Gauge.builder("layeratlas.agent.last.publish.timestamp", lastPublishEpochSeconds, AtomicLong::get).baseUnit("seconds")
                .description("Unix time of the last record Kafka acknowledged").register(registry);
        Gauge.builder("layeratlas.agent.kafka.reachable", kafkaReachable, AtomicLong::get)
                .description("0 while Kafka sends fail and only the latest state per key is held").register(registry);
        Gauge.builder("layeratlas.agent.pending.records", pendingRecords, AtomicLong::get)
                .description("records held for Kafka").register(registry);
        Gauge.builder("layeratlas.agent.generation", generation, AtomicLong::get)
                .description("last snapshot generation Kafka acknowledged").register(registry);
    }

    private Counter publishErrors(String kind) {
        return Counter.builder("layeratlas.agent.publish.errors").tag("kind", kind)
                .description("failed Kafka sends: retriable (held and retried), rejected (dropped), fatal (agent stops)")
                .register(registry);
    }

    /** Prometheus text exposition of every meter. */
    String scrape() {
        return registry.scrape();
    }
}
