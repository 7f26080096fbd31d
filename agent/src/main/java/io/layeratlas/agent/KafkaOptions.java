package io.layeratlas.agent;

import io.layeratlas.ingest.agent.AgentConfig;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Kafka connection options shared by the agent, the indexer and the simulator. The names are the agent's
 * ({@link AgentConfig#OPTIONS}), so one environment file serves every process.
 */
public final class KafkaOptions {
    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,…]",
            defaultValue = "${env:LAYERATLAS_BOOTSTRAP_SERVERS:-localhost:9092}",
            description = "Kafka bootstrap servers. Env: LAYERATLAS_BOOTSTRAP_SERVERS. Default: ${DEFAULT-VALUE}.")
    String bootstrap;

    @Option(names = "--kafka-property", paramLabel = "KEY=VALUE",
            description = "Any Kafka client property, passed through (repeatable), e.g. security.protocol=SASL_SSL. "
                    + "Environment: LAYERATLAS_KAFKA_<PROPERTY> (LAYERATLAS_KAFKA_SASL_JAAS_CONFIG is sasl.jaas.config). "
                    + "Values of secret-looking keys are never logged.")
    Map<String, String> properties = new LinkedHashMap<>();

    @Option(names = "--kafka-properties-file", paramLabel = "FILE",
            defaultValue = "${env:LAYERATLAS_KAFKA_PROPERTIES_FILE}",
            description = "A Kafka client .properties file (TLS, SASL), read at start. Env: LAYERATLAS_KAFKA_PROPERTIES_FILE.")
    Path propertiesFile;

    /** File, then environment, then flags: the later wins. */
    /** The {@code --bootstrap-servers} value: {@code HOST:PORT[,…]}. */
    public String bootstrapServers() {
        return bootstrap;
    }

    public Map<String, String> clientProperties() {
        Map<String, String> all = new LinkedHashMap<>();
        if (propertiesFile != null) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(propertiesFile)) {
                p.load(r);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read Kafka properties file " + propertiesFile, e);
            }
            p.stringPropertyNames().forEach(k -> all.put(k, p.getProperty(k)));
        }
        all.putAll(AgentConfig.kafkaPropertiesFromEnvironment(System.getenv()));
        all.putAll(properties);
        return all;
    }
}
