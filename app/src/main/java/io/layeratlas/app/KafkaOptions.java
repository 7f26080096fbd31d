package io.layeratlas.app;

import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.Map;

/** Kafka connection options shared by the agent, the indexer and {@code up}. */
final class KafkaOptions {
    @Option(names = "--kafka-bootstrap", paramLabel = "HOST:PORT[,…]",
            defaultValue = "${env:LAYERATLAS_KAFKA_BOOTSTRAP:-localhost:9092}",
            description = "Kafka bootstrap servers. Env: LAYERATLAS_KAFKA_BOOTSTRAP. Default: ${DEFAULT-VALUE}.")
    String bootstrap;

    @Option(names = "--kafka-property", paramLabel = "KEY=VALUE", mapFallbackValue = "",
            description = "Any Kafka client property, passed through (repeatable), e.g. security.protocol=SASL_SSL. "
                    + "Env: LAYERATLAS_KAFKA_PROPERTIES (KEY=VALUE pairs separated by newlines or ';'). "
                    + "Values of secret-looking keys are never logged.")
    Map<String, String> properties = new LinkedHashMap<>();

    /** Flags win over the environment. */
    Map<String, String> clientProperties() {
        Map<String, String> all = new LinkedHashMap<>(parsePairs(System.getenv("LAYERATLAS_KAFKA_PROPERTIES")));
        all.putAll(properties);
        return all;
    }

    static Map<String, String> parsePairs(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        if (text == null || text.isBlank()) {
            return out;
        }
        for (String pair : text.split("[;\n]")) {
            String p = pair.trim();
            if (p.isEmpty()) {
                continue;
            }
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("LAYERATLAS_KAFKA_PROPERTIES: '" + p + "' is not KEY=VALUE");
            }
            out.put(p.substring(0, eq).trim(), p.substring(eq + 1).trim());
        }
        return out;
    }
}
