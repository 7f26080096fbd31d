package io.layeratlas.ingest.agent;

import io.layeratlas.events.SourceKind;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Everything an {@link Agent} needs, parsed and validated once at start-up. Immutable and thread-safe.
 *
 * <p>Every option has a command-line flag and a {@code LAYERATLAS_*} environment variable, listed in
 * {@link #OPTIONS}; {@link #fromValues} and {@link #fromEnvironment} build a config from them, so the CLI only
 * has to collect strings. Kafka client properties pass through untouched ({@code --kafka-property k=v},
 * {@code LAYERATLAS_KAFKA_<PROPERTY>} with dots written as underscores, or a {@code --kafka-properties-file}),
 * which is how TLS and SASL are configured. {@link #toString()} masks secrets, so the effective config can be
 * logged as it is.
 *
 * @param source             what to read: a data-root path, archive, OCI layout or Engine API URI
 * @param kind               the reader to use; empty to detect it from the source
 * @param hostId             the host ID as configured, or null to resolve it ({@link HostIdentity})
 * @param bootstrapServers   Kafka's {@code bootstrap.servers}, {@code host:port[,host:port…]}
 * @param kafkaProperties    Kafka producer properties passed through as given; they override the agent's
 *                           defaults except the serializers (never null)
 * @param topicPrefix        prepended to every topic name of {@link io.layeratlas.events.Topics} (may be empty)
 * @param rescanInterval     time between full rescans when nothing signalled a change (positive)
 * @param heartbeatInterval  time between heartbeats (at least one second: heartbeats carry whole seconds)
 * @param fullResendInterval time between republishing unchanged state as a new generation, configs included
 *                           (positive)
 * @param debounce           quiet time after the last storage change before a rescan starts (zero or more)
 * @param stateDir           folder for the agent's own state (the generation counter); created if absent
 * @param dockerHost         the Docker daemon to follow {@code /events} from and to ask for its ID
 *                           ({@code unix:///var/run/docker.sock}), or null for: the source itself when it
 *                           is an Engine API URI, else the data-root is watched on disk
 * @param metricsPort        TCP port for Prometheus metrics at {@code /metrics}; 0 = no metrics server
 * @param maxMessageBytes    largest record value the agent sends, in bytes; the effective limit is the smaller of
 *                           this and the producer's {@code max.request.size}
 * @param readPackages       read OS package databases from layer contents and publish one
 *                           {@link io.layeratlas.events.LayerPackages} per diff ID not sent before (default true)
 * @param labels             operator labels published with every snapshot ({@code --label env=prod}), sorted by key
 *                           (never null; keys non-blank)
 */
public record AgentConfig(String source, Optional<SourceKind> kind, String hostId, String bootstrapServers,
                          Map<String, String> kafkaProperties, String topicPrefix, Duration rescanInterval,
                          Duration heartbeatInterval, Duration fullResendInterval, Duration debounce, Path stateDir,
                          String dockerHost, int metricsPort, int maxMessageBytes, boolean readPackages,
                          Map<String, String> labels) {

    /** Rescans are a safety net behind change notification; five minutes bounds staleness at little cost. */
    public static final Duration DEFAULT_RESCAN_INTERVAL = Duration.ofMinutes(5);
    /** Thirty seconds lets the index call a host dead after a few missed beats, within two minutes. */
    public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(30);
    /** Daily: recovers an index rebuilt from a topic whose old generations were deleted by retention. */
    public static final Duration DEFAULT_FULL_RESEND_INTERVAL = Duration.ofHours(24);
    /** Docker writes several files per image pull; 250 ms of quiet lets it finish and still leaves the
     *  scan and send well within the two seconds promised from change to publish. */
    public static final Duration DEFAULT_DEBOUNCE = Duration.ofMillis(250);
    /** Where a packaged agent may write (systemd's StateDirectory=, a DaemonSet's hostPath). */
    public static final Path DEFAULT_STATE_DIR = Path.of("/var/lib/layeratlas-agent");
    /** Below the broker's default {@code message.max.bytes} (1 MiB + 12) and the producer's
     *  default {@code max.request.size} (1 MiB) with room for the record and batch overhead. */
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 1_000_000;
    /** The smallest limit accepted: below this even one image record may not fit. */
    public static final int MIN_MAX_MESSAGE_BYTES = 4_096;

    /** Kafka client properties whose values are secrets; masked by {@link #toString()} and {@link #describe()}. */
    private static final Pattern SECRET_KEY = Pattern.compile("(?i).*(password|secret|sasl\\.jaas\\.config|keystore|ssl\\.key|credential|token).*");

    public AgentConfig {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(rescanInterval, "rescanInterval");
        Objects.requireNonNull(heartbeatInterval, "heartbeatInterval");
        Objects.requireNonNull(fullResendInterval, "fullResendInterval");
        Objects.requireNonNull(debounce, "debounce");
        Objects.requireNonNull(stateDir, "stateDir");
        if (source.isBlank()) {
            throw new IllegalArgumentException("source must not be blank");
        }
        if (bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("bootstrap servers must not be blank");
        }
        if (hostId != null && hostId.isBlank()) {
            hostId = null;
        }
        kafkaProperties = kafkaProperties == null ? Map.of() : Map.copyOf(kafkaProperties);
        topicPrefix = topicPrefix == null ? "" : topicPrefix;
        if (dockerHost != null && dockerHost.isBlank()) {
            dockerHost = null;
        }
        requirePositive("rescan interval", rescanInterval);
        requirePositive("full resend interval", fullResendInterval);
        if (heartbeatInterval.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("heartbeat interval must be at least 1s: " + heartbeatInterval);
        }
        if (debounce.isNegative()) {
            throw new IllegalArgumentException("debounce must not be negative: " + debounce);
        }
        if (metricsPort < 0 || metricsPort > 65535) {
            throw new IllegalArgumentException("metrics port must be 0 (off) or 1-65535: " + metricsPort);
        }
        if (maxMessageBytes < MIN_MAX_MESSAGE_BYTES) {
            throw new IllegalArgumentException("max message bytes must be at least " + MIN_MAX_MESSAGE_BYTES + ": " + maxMessageBytes);
        }
        TreeMap<String, String> sortedLabels = new TreeMap<>();
        if (labels != null) {
            labels.forEach((k, val) -> {
                if (k == null || k.isBlank()) {
                    throw new IllegalArgumentException("a label needs a key: key=value");
                }
                sortedLabels.put(k, val == null ? "" : val);
            });
        }
        labels = java.util.Collections.unmodifiableMap(sortedLabels);
    }

    /**
     * Parses operator labels: {@code key=value} items separated by commas ({@code env=prod,team=web}), so values
     * cannot hold commas; blank items are skipped; a later item with the same key wins. The command line joins
     * repeated {@code --label} flags with commas.
     *
     * @throws IllegalArgumentException for an item without {@code =} or with an empty key, naming it
     */
    public static Map<String, String> parseLabels(String text) {
        Map<String, String> out = new TreeMap<>();
        if (text == null) {
            return out;
        }
        for (String item : text.split(",")) {
            if (item.isBlank()) {
                continue;
            }
            int eq = item.indexOf('=');
            if (eq <= 0 || item.substring(0, eq).isBlank()) {
                throw new IllegalArgumentException("label: not key=value: '" + item.trim() + "'");
            }
            out.put(item.substring(0, eq).trim(), item.substring(eq + 1).trim());
        }
        return out;
    }

    /** A config with every default: host ID resolved, metrics off. */
    public static AgentConfig defaults(String source, String bootstrapServers) {
        return new AgentConfig(source, Optional.empty(), null, bootstrapServers, Map.of(), "",
                DEFAULT_RESCAN_INTERVAL, DEFAULT_HEARTBEAT_INTERVAL, DEFAULT_FULL_RESEND_INTERVAL, DEFAULT_DEBOUNCE,
                DEFAULT_STATE_DIR, null, 0, DEFAULT_MAX_MESSAGE_BYTES, true, Map.of());
    }

    // Withers, so tests and the CLI can change one field of the defaults.

    public AgentConfig withKind(Optional<SourceKind> v) {
        return new AgentConfig(source, v, hostId, bootstrapServers, kafkaProperties, topicPrefix, rescanInterval, heartbeatInterval, fullResendInterval, debounce, stateDir, dockerHost, metricsPort, maxMessageBytes, readPackages, labels);
    }

    public AgentConfig withHostId(String v) {
        return new AgentConfig(source, kind, v, bootstrapServers, kafkaProperties, topicPrefix, rescanInterval, heartbeatInterval, fullResendInterval, debounce, stateDir, dockerHost, metricsPort, maxMessageBytes, readPackages, labels);
    }

    public AgentConfig withKafkaProperties(Map<String, String> v) {
        return new AgentConfig(source, kind, hostId, bootstrapServers, v, topicPrefix, rescanInterval, heartbeatInterval, fullResendInterval, debounce, stateDir, dockerHost, metricsPort, maxMessageBytes, readPackages, labels);
    }

    public AgentConfig withTopicPrefix(String v) {
        return new AgentConfig(source, kind, hostId, bootstrapServers, kafkaProperties, v, rescanInterval, heartbeatInterval, fullResendInterval, debounce, stateDir, dockerHost, metricsPort, maxMessageBytes, readPackages, labels);
    }

    public AgentConfig withRescanInterval(Duration v) {
        return new AgentConfig(source, kind, hostId, bootstrapServers, kafkaProperties, topicPrefix, v, heartbeatInterval, fullResendInterval, debounce, stateDir, dockerHost, metricsPort, maxMessageBytes, readPackages, labels);
    }

    public AgentConfig withHeartbeatInterval(Duration v) {
        return new AgentConfig(source, kind, hostId, bootstrapServers, kafkaProperties, topicPrefix, rescanInterval, v, fullResendInterval, debounce, stateDir, dockerHost, metricsPort, maxMessageBytes, readPackages, labels);
    }

    public AgentConfig withFullResendInterval(Duration v) {
        return new AgentConfig(source, kind, hostId, bootstrapServers, kafkaProperties, topicPrefix, rescanInterval, heartbeatInterval, v, debounce, stateDir, dockerHost, metricsPort, maxMessageBytes, readPackages, labels);
    }

    public AgentConfig withDebounce(Duration v) {
        return new AgentConfig(source, kind, hostId, bootstrapServers, kafkaProperties, topicPrefix, rescanInterval, heartbeatInterval, fullResendInterval, v, stateDir, dockerHost, metricsPort, maxMessageBytes, readPackages, labels);
    }

    public AgentConfig withStateDir(Path v) {
        return new AgentConfig(source, kind, hostId, bootstrapServers, kafkaProperties, topicPrefix, rescanInterval, heartbeatInterval, fullResendInterval, debounce, v, dockerHost, metricsPort, maxMessageBytes, readPackages, labels);
    }

    public AgentConfig withDockerHost(String v) {
        return new AgentConfig(source, kind, hostId, bootstrapServers, kafkaProperties, topicPrefix, rescanInterval, heartbeatInterval, fullResendInterval, debounce, stateDir, v, metricsPort, maxMessageBytes, readPackages, labels);
    }

    public AgentConfig withMetricsPort(int v) {
        return new AgentConfig(source, kind, hostId, bootstrapServers, kafkaProperties, topicPrefix, rescanInterval, heartbeatInterval, fullResendInterval, debounce, stateDir, dockerHost, v, maxMessageBytes, readPackages, labels);
    }

    public AgentConfig withReadPackages(boolean v) {
        return new AgentConfig(source, kind, hostId, bootstrapServers, kafkaProperties, topicPrefix, rescanInterval, heartbeatInterval, fullResendInterval, debounce, stateDir, dockerHost, metricsPort, maxMessageBytes, v, labels);
    }

    public AgentConfig withMaxMessageBytes(int v) {
        return new AgentConfig(source, kind, hostId, bootstrapServers, kafkaProperties, topicPrefix, rescanInterval, heartbeatInterval, fullResendInterval, debounce, stateDir, dockerHost, metricsPort, v, readPackages, labels);
    }

    public AgentConfig withLabels(Map<String, String> v) {
        return new AgentConfig(source, kind, hostId, bootstrapServers, kafkaProperties, topicPrefix, rescanInterval, heartbeatInterval, fullResendInterval, debounce, stateDir, dockerHost, metricsPort, maxMessageBytes, readPackages, v);
    }

    /** The topic this agent writes {@code baseName} (one of {@link io.layeratlas.events.Topics}) to. */
    public String topic(String baseName) {
        return topicPrefix + baseName;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Options: names shared by flags, environment variables and the deployment files.

    /**
     * One agent option.
     *
     * @param name         the option's name; the flag is {@code --<name>}
     * @param env          the environment variable, {@code LAYERATLAS_<NAME>}
     * @param defaultValue the default as text (empty = none: required, or resolved at start)
     * @param description  one line for {@code --help}
     */
    public record Option(String name, String env, String defaultValue, String description) {
        /** {@code --name}. */
        public String flag() {
            return "--" + name;
        }
    }

    /** Environment variables starting with this pass through as Kafka properties
     *  ({@code LAYERATLAS_KAFKA_SASL_JAAS_CONFIG} is {@code sasl.jaas.config}). */
    public static final String KAFKA_ENV_PREFIX = "LAYERATLAS_KAFKA_";
    /** The negation of {@code --packages} (picocli's negatable form), the documented way to turn package reading off. */
    public static final String NO_PACKAGES_FLAG = "--no-packages";
    /** The repeatable flag for one Kafka client property, {@code --kafka-property key=value}. */
    public static final String KAFKA_PROPERTY_FLAG = "--kafka-property";
    /** The repeatable flag for one label, {@code --label key=value}: the singular of option {@code labels}. */
    public static final String LABEL_FLAG = "--label";

    /** Every option {@link #fromValues} understands, in {@code --help} order. Durations are {@code 30s},
     *  {@code 5m}, {@code 2h}, {@code 500ms}, a bare number of seconds, or ISO-8601 ({@code PT30S}). */
    public static final List<Option> OPTIONS = List.of(
            new Option("source", "LAYERATLAS_SOURCE", "/var/lib/docker",
                    "image storage to read: data-root, archive, OCI layout, or Engine API URI (unix:///var/run/docker.sock)"),
            new Option("kind", "LAYERATLAS_KIND", "", "reader to use (data-root, legacy-graph, archive, oci-layout, engine-api); detected when empty"),
            new Option("host-id", "LAYERATLAS_HOST_ID", "", "host ID; default /etc/machine-id, else the Docker daemon's ID, else the hostname"),
            new Option("bootstrap-servers", "LAYERATLAS_BOOTSTRAP_SERVERS", "", "Kafka bootstrap servers, host:port[,host:port]"),
            new Option("topic-prefix", "LAYERATLAS_TOPIC_PREFIX", "", "prefix for the layeratlas.* topic names"),
            new Option("rescan-interval", "LAYERATLAS_RESCAN_INTERVAL", "5m", "full rescan when nothing signalled a change"),
            new Option("heartbeat-interval", "LAYERATLAS_HEARTBEAT_INTERVAL", "30s", "time between heartbeats (at least 1s)"),
            new Option("full-resend-interval", "LAYERATLAS_FULL_RESEND_INTERVAL", "24h", "republish unchanged state and every config this often"),
            new Option("debounce", "LAYERATLAS_DEBOUNCE", "250ms", "quiet time after a storage change before rescanning"),
            new Option("state-dir", "LAYERATLAS_STATE_DIR", DEFAULT_STATE_DIR.toString(), "folder for the agent's state (generation counter)"),
            new Option("docker-host", "LAYERATLAS_DOCKER_HOST", "", "daemon to follow /events from; default: the source if it is an Engine API URI, else watch the data-root"),
            new Option("metrics-port", "LAYERATLAS_METRICS_PORT", "0", "port for Prometheus metrics at /metrics; 0 = off"),
            new Option("max-message-bytes", "LAYERATLAS_MAX_MESSAGE_BYTES", String.valueOf(DEFAULT_MAX_MESSAGE_BYTES), "largest Kafka record value in bytes; snapshots are chunked below it"),
            new Option("packages", "LAYERATLAS_PACKAGES", "true", "read OS package databases (dpkg, apk, rpm) from layer contents and publish them once per diff ID; false (--no-packages) turns it off"),
            new Option("labels", "LAYERATLAS_LABELS", "", "operator labels key=value,key=value published with the host (--label env=prod, repeatable)"),
            new Option("kafka-properties-file", "LAYERATLAS_KAFKA_PROPERTIES_FILE", "", "a Kafka client .properties file (TLS, SASL), read at start"));

    /** The option named {@code name} ({@code "host-id"}, with or without {@code --}). */
    public static Optional<Option> option(String name) {
        String n = name.startsWith("--") ? name.substring(2) : name;
        return OPTIONS.stream().filter(o -> o.name().equals(n)).findFirst();
    }

    /** True when {@code variable} is one the agent reads: an option's, or a {@link #KAFKA_ENV_PREFIX} pass-through. */
    public static boolean isKnownEnvironmentVariable(String variable) {
        return OPTIONS.stream().anyMatch(o -> o.env().equals(variable))
                || variable.startsWith(KAFKA_ENV_PREFIX) && variable.length() > KAFKA_ENV_PREFIX.length();
    }

    /** True when {@code flag} ({@code --name} or {@code --name=value}) is one the agent understands. */
    public static boolean isKnownFlag(String flag) {
        String f = flag.contains("=") ? flag.substring(0, flag.indexOf('=')) : flag;
        return f.equals(KAFKA_PROPERTY_FLAG) || f.equals(NO_PACKAGES_FLAG) || f.equals(LABEL_FLAG) || OPTIONS.stream().anyMatch(o -> o.flag().equals(f));
    }

    /**
     * Builds a config from option values by name ({@code "rescan-interval" -> "30s"}); missing or empty options
     * take their defaults. Kafka properties are those of {@code kafka-properties-file} (when given), then
     * {@code kafkaProperties} on top.
     *
     * @throws IllegalArgumentException naming the option, for an unknown option, a missing
     *                                  {@code bootstrap-servers}, or a value that does not parse
     * @throws UncheckedIOException     if the Kafka properties file cannot be read
     */
    public static AgentConfig fromValues(Map<String, String> values, Map<String, String> kafkaProperties) {
        for (String k : values.keySet()) {
            if (option(k).isEmpty()) {
                throw new IllegalArgumentException("unknown agent option '" + k + "'");
            }
        }
        Map<String, String> v = new LinkedHashMap<>();
        for (Option o : OPTIONS) {
            String given = values.get(o.name());
            v.put(o.name(), given == null || given.isBlank() ? o.defaultValue() : given.trim());
        }
        if (v.get("bootstrap-servers").isEmpty()) {
            throw new IllegalArgumentException("bootstrap-servers is required (--bootstrap-servers or LAYERATLAS_BOOTSTRAP_SERVERS)");
        }
        Map<String, String> kafka = new TreeMap<>();
        if (!v.get("kafka-properties-file").isEmpty()) {
            kafka.putAll(readProperties(Path.of(v.get("kafka-properties-file"))));
        }
        if (kafkaProperties != null) {
            kafka.putAll(kafkaProperties);
        }
        try {
            return new AgentConfig(v.get("source"),
                    v.get("kind").isEmpty() ? Optional.empty() : Optional.of(SourceKind.fromId(v.get("kind"))),
                    v.get("host-id").isEmpty() ? null : v.get("host-id"),
                    v.get("bootstrap-servers"), kafka, v.get("topic-prefix"),
                    parseDuration("rescan-interval", v.get("rescan-interval")),
                    parseDuration("heartbeat-interval", v.get("heartbeat-interval")),
                    parseDuration("full-resend-interval", v.get("full-resend-interval")),
                    parseDuration("debounce", v.get("debounce")),
                    Path.of(v.get("state-dir")),
                    v.get("docker-host").isEmpty() ? null : v.get("docker-host"),
                    parseInt("metrics-port", v.get("metrics-port")),
                    parseInt("max-message-bytes", v.get("max-message-bytes")),
                    parseBoolean("packages", v.get("packages")),
                    parseLabels(v.get("labels")));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid agent configuration: " + e.getMessage(), e);
        }
    }

    /**
     * Builds a config from environment variables: each {@link Option#env()}, and every
     * {@code LAYERATLAS_KAFKA_<PROPERTY>} (except {@code LAYERATLAS_KAFKA_PROPERTIES_FILE}) as Kafka property
     * {@code <property>} lower-cased with {@code _} read as {@code .}. Other variables are ignored.
     *
     * @throws IllegalArgumentException as {@link #fromValues}
     */
    public static AgentConfig fromEnvironment(Map<String, String> env) {
        Map<String, String> values = new LinkedHashMap<>();
        for (Option o : OPTIONS) {
            String val = env.get(o.env());
            if (val != null) {
                values.put(o.name(), val);
            }
        }
        return fromValues(values, kafkaPropertiesFromEnvironment(env));
    }

    /** The Kafka properties that {@code LAYERATLAS_KAFKA_*} variables carry (see {@link #fromEnvironment}). */
    public static Map<String, String> kafkaPropertiesFromEnvironment(Map<String, String> env) {
        Map<String, String> kafka = new TreeMap<>();
        env.forEach((name, value) -> {
            boolean option = OPTIONS.stream().anyMatch(o -> o.env().equals(name));
            if (!option && name.startsWith(KAFKA_ENV_PREFIX) && name.length() > KAFKA_ENV_PREFIX.length()) {
                kafka.put(name.substring(KAFKA_ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.'), value);
            }
        });
        return kafka;
    }

    /**
     * Parses one {@code --kafka-property key=value}.
     *
     * @throws IllegalArgumentException without {@code =} or with an empty key
     */
    public static Map.Entry<String, String> parseKafkaProperty(String keyEqualsValue) {
        int eq = keyEqualsValue.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("a Kafka property is key=value, not '" + keyEqualsValue + "'");
        }
        return Map.entry(keyEqualsValue.substring(0, eq).trim(), keyEqualsValue.substring(eq + 1));
    }

    private static final Pattern SIMPLE_DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)?");

    /**
     * Parses {@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 1d}, a bare number of seconds, or ISO-8601.
     *
     * @throws IllegalArgumentException naming the option
     */
    public static Duration parseDuration(String option, String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        Matcher m = SIMPLE_DURATION.matcher(t);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "s" : m.group(2);
            return switch (unit) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        }
        try {
            return Duration.parse(text.trim().toUpperCase(Locale.ROOT));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(option + ": not a duration: '" + text + "' (use 500ms, 30s, 5m, 2h or PT30S)");
        }
    }

    private static boolean parseBoolean(String option, String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0" -> false;
            default -> throw new IllegalArgumentException(option + ": not true or false: '" + text + "'");
        };
    }

    private static int parseInt(String option, String text) {
        try {
            return Integer.parseInt(text.trim().replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": not a whole number: '" + text + "'");
        }
    }

    private static Map<String, String> readProperties(Path file) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read Kafka properties file " + file, e);
        }
        Map<String, String> out = new TreeMap<>();
        p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k)));
        return out;
    }

    // ---------------------------------------------------------------------------------------------------------

    /** True for Kafka property names whose values are secrets (passwords, JAAS config, key material). */
    public static boolean isSecret(String propertyName) {
        return SECRET_KEY.matcher(propertyName).matches();
    }

    /** The Kafka properties with every secret value replaced by {@code ******}, sorted by name. */
    public Map<String, String> maskedKafkaProperties() {
        Map<String, String> out = new TreeMap<>();
        kafkaProperties.forEach((k, val) -> out.put(k, isSecret(k) ? "******" : val));
        return out;
    }

    /** The effective config, one {@code name = value} a line, secrets masked: what the agent logs at start. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append("source = ").append(source).append('\n')
                .append("kind = ").append(kind.map(SourceKind::id).orElse("(detect)")).append('\n')
                .append("host-id = ").append(hostId == null ? "(resolve)" : hostId).append('\n')
                .append("bootstrap-servers = ").append(bootstrapServers).append('\n')
                .append("topic-prefix = ").append(topicPrefix).append('\n')
                .append("rescan-interval = ").append(rescanInterval).append('\n')
                .append("heartbeat-interval = ").append(heartbeatInterval).append('\n')
                .append("full-resend-interval = ").append(fullResendInterval).append('\n')
                .append("debounce = ").append(debounce).append('\n')
                .append("state-dir = ").append(stateDir).append('\n')
                .append("docker-host = ").append(dockerHost == null ? "(none)" : dockerHost).append('\n')
                .append("metrics-port = ").append(metricsPort == 0 ? "0 (off)" : metricsPort).append('\n')
                .append("max-message-bytes = ").append(maxMessageBytes).append('\n')
                .append("packages = ").append(readPackages).append('\n')
                .append("labels = ").append(labels);
        maskedKafkaProperties().forEach((k, val) -> sb.append('\n').append("kafka-property ").append(k).append(" = ").append(val));
        return sb.toString();
    }

    /** As the record's, with secret Kafka properties masked: safe to log. */
    @Override
    public String toString() {
        return "AgentConfig[source=" + source + ", kind=" + kind.map(SourceKind::id).orElse("detect") + ", hostId=" + hostId
                + ", bootstrapServers=" + bootstrapServers + ", kafkaProperties=" + maskedKafkaProperties()
                + ", topicPrefix=" + topicPrefix + ", rescanInterval=" + rescanInterval + ", heartbeatInterval=" + heartbeatInterval
                + ", fullResendInterval=" + fullResendInterval + ", debounce=" + debounce + ", stateDir=" + stateDir
                + ", dockerHost=" + dockerHost + ", metricsPort=" + metricsPort + ", maxMessageBytes=" + maxMessageBytes + ", readPackages=" + readPackages + ", labels=" + labels + "]";
    }

    private static void requirePositive(String what, Duration d) {
        if (d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException(what + " must be positive: " + d);
        }
    }
}
