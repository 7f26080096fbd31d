package io.layeratlas.ingest.agent;

import io.layeratlas.events.SourceKind;
import io.layeratlas.events.Topics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AgentConfigTest {

    @Test
    void every_option_reads_from_its_layeratlas_environment_variable() {
        AgentConfig c = AgentConfig.fromEnvironment(Map.ofEntries(
                Map.entry("LAYERATLAS_SOURCE", "/srv/docker"),
                Map.entry("LAYERATLAS_KIND", "data-root"),
                Map.entry("LAYERATLAS_HOST_ID", "node-7"),
                Map.entry("LAYERATLAS_BOOTSTRAP_SERVERS", "kafka-1:9093,kafka-2:9093"),
                Map.entry("LAYERATLAS_TOPIC_PREFIX", "prod."),
                Map.entry("LAYERATLAS_RESCAN_INTERVAL", "10m"),
                Map.entry("LAYERATLAS_HEARTBEAT_INTERVAL", "15"),
                Map.entry("LAYERATLAS_FULL_RESEND_INTERVAL", "PT12H"),
                Map.entry("LAYERATLAS_DEBOUNCE", "500ms"),
                Map.entry("LAYERATLAS_STATE_DIR", "/var/lib/la"),
                Map.entry("LAYERATLAS_DOCKER_HOST", "unix:///run/docker.sock"),
                Map.entry("LAYERATLAS_METRICS_PORT", "9464"),
                Map.entry("LAYERATLAS_MAX_MESSAGE_BYTES", "500_000"),
                Map.entry("LAYERATLAS_KAFKA_SECURITY_PROTOCOL", "SASL_SSL"),
                Map.entry("LAYERATLAS_KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"a\" password=\"hunter2\";"),
                Map.entry("PATH", "/usr/bin")));
        assertThat(c.source()).isEqualTo("/srv/docker");
        assertThat(c.kind()).contains(SourceKind.DATA_ROOT);
        assertThat(c.hostId()).isEqualTo("node-7");
        assertThat(c.bootstrapServers()).isEqualTo("kafka-1:9093,kafka-2:9093");
        assertThat(c.topic(Topics.HOST_LAYERS)).isEqualTo("prod.layeratlas.host-layers");
        assertThat(c.rescanInterval()).isEqualTo(Duration.ofMinutes(10));
        assertThat(c.heartbeatInterval()).isEqualTo(Duration.ofSeconds(15));
        assertThat(c.fullResendInterval()).isEqualTo(Duration.ofHours(12));
        assertThat(c.debounce()).isEqualTo(Duration.ofMillis(500));
        assertThat(c.stateDir()).isEqualTo(Path.of("/var/lib/la"));
        assertThat(c.dockerHost()).isEqualTo("unix:///run/docker.sock");
        assertThat(c.metricsPort()).isEqualTo(9464);
        assertThat(c.maxMessageBytes()).isEqualTo(500_000);
        assertThat(c.kafkaProperties()).containsOnlyKeys("security.protocol", "sasl.jaas.config");
        assertThat(c.kafkaProperties().get("security.protocol")).isEqualTo("SASL_SSL");
    }

    @Test
    void defaults_apply_when_only_the_bootstrap_servers_are_given() {
        AgentConfig c = AgentConfig.fromEnvironment(Map.of("LAYERATLAS_BOOTSTRAP_SERVERS", "k:9092"));
        assertThat(c).isEqualTo(AgentConfig.defaults("/var/lib/docker", "k:9092"));
        assertThat(c.kind()).isEqualTo(Optional.empty());
        assertThat(c.hostId()).isNull();
        assertThat(c.metricsPort()).isZero();
    }

    @Test
    void option_names_flags_and_environment_variables_follow_one_pattern() {
        for (AgentConfig.Option o : AgentConfig.OPTIONS) {
            assertThat(o.env()).isEqualTo("LAYERATLAS_" + o.name().toUpperCase(Locale.ROOT).replace('-', '_'));
            assertThat(AgentConfig.isKnownFlag(o.flag())).isTrue();
            assertThat(AgentConfig.isKnownEnvironmentVariable(o.env())).isTrue();
        }
        assertThat(AgentConfig.isKnownFlag("--kafka-property=acks=1")).isTrue();
        assertThat(AgentConfig.isKnownFlag("--hostid")).isFalse();
        assertThat(AgentConfig.isKnownEnvironmentVariable("LAYERATLAS_HOSTID")).isFalse();
    }

    @Test
    void secrets_are_masked_in_the_logged_config_and_in_to_string() {
        AgentConfig c = AgentConfig.defaults("/var/lib/docker", "k:9092").withKafkaProperties(Map.of(
                "sasl.jaas.config", "ScramLoginModule required password=\"hunter2\";",
                "ssl.truststore.password", "hunter2", "ssl.keystore.password", "hunter2",
                "ssl.key.password", "hunter2", "basic.auth.user.info", "u", "security.protocol", "SASL_SSL"));
        assertThat(c.describe()).doesNotContain("hunter2").contains("security.protocol = SASL_SSL")
                .contains("sasl.jaas.config = ******");
        assertThat(c.toString()).doesNotContain("hunter2");
    }

    @Test
    void kafka_properties_come_from_a_file_and_flags_override_it(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("client.properties");
        Files.writeString(file, "security.protocol=SSL\nssl.truststore.location=/etc/ca.jks\n");
        AgentConfig c = AgentConfig.fromValues(Map.of("bootstrap-servers", "k:9093", "kafka-properties-file", file.toString()),
                Map.ofEntries(AgentConfig.parseKafkaProperty("security.protocol=SASL_SSL")));
        assertThat(c.kafkaProperties()).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("ssl.truststore.location", "/etc/ca.jks");
    }

    @Test
    void a_bad_value_is_reported_with_the_option_it_came_from() {
        assertThatThrownBy(() -> AgentConfig.fromEnvironment(Map.of("LAYERATLAS_BOOTSTRAP_SERVERS", "k:9092",
                "LAYERATLAS_RESCAN_INTERVAL", "often"))).hasMessageContaining("rescan-interval");
        assertThatThrownBy(() -> AgentConfig.fromEnvironment(Map.of("LAYERATLAS_BOOTSTRAP_SERVERS", "k:9092",
                "LAYERATLAS_METRICS_PORT", "70000"))).hasMessageContaining("metrics port");
        assertThatThrownBy(() -> AgentConfig.fromEnvironment(Map.of())).hasMessageContaining("bootstrap-servers");
        assertThatThrownBy(() -> AgentConfig.fromValues(Map.of("bootstrap", "k:9092"), Map.of()))
                .hasMessageContaining("unknown agent option 'bootstrap'");
        assertThatThrownBy(() -> AgentConfig.parseKafkaProperty("acks")).hasMessageContaining("key=value");
        assertThatThrownBy(() -> AgentConfig.defaults("/x", "k:9092").withMaxMessageBytes(100))
                .hasMessageContaining("max message bytes");
    }
}
