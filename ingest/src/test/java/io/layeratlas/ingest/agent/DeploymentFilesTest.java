package io.layeratlas.ingest.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.layeratlas.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The files in {@code deploy/} set only options the agent knows, and what they set parses into an
 * {@link AgentConfig}: a renamed option or a typo in a deployment file fails here, not on a thousand hosts.
 */
class DeploymentFilesTest {
    private static final Path DEPLOY = Fixtures.projectRoot().resolve("deploy");
    private static final Pattern ENV_ASSIGNMENT = Pattern.compile("^#?\\s*(LAYERATLAS_[A-Z0-9_]+)=(.*)$");
    private static final Pattern FLAG = Pattern.compile("(?<=\\s|^)(--[a-z][a-z0-9-]*)(=\\S*)?");

    @Test
    void the_daemonset_sets_only_known_options_and_they_make_a_valid_config() throws Exception {
        List<JsonNode> docs = new ArrayList<>();
        try (MappingIterator<JsonNode> it = new ObjectMapper(new YAMLFactory())
                .readerFor(JsonNode.class).readValues(DEPLOY.resolve("kubernetes/agent-daemonset.yaml").toFile())) {
            it.forEachRemaining(docs::add);
        }
        Map<String, String> env = new LinkedHashMap<>();
        JsonNode daemonSet = null;
        for (JsonNode doc : docs) {
            switch (doc.path("kind").asText()) {
                case "ConfigMap" -> doc.path("data").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
                case "Secret" -> doc.path("stringData").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
                case "DaemonSet" -> daemonSet = doc;
                default -> {
                }
            }
        }
        assertThat(daemonSet).as("a DaemonSet").isNotNull();
        JsonNode pod = daemonSet.path("spec").path("template").path("spec");
        JsonNode container = pod.path("containers").get(0);
        List<String> flags = new ArrayList<>();
        container.path("args").forEach(a -> {
            if (a.asText().startsWith("--")) {
                flags.add(a.asText());
            }
        });
        for (JsonNode e : container.path("env")) {
            String name = e.path("name").asText();
            if (name.startsWith("LAYERATLAS_")) {
                env.put(name, e.has("value") ? e.path("value").asText() : "node-from-downward-api");
            }
        }
        assertThat(env.keySet()).allSatisfy(v -> assertThat(AgentConfig.isKnownEnvironmentVariable(v)).as(v).isTrue());
        assertThat(flags).isNotEmpty().allSatisfy(f -> assertThat(AgentConfig.isKnownFlag(f)).as(f).isTrue());

        // The host ID is the node's name, from the downward API.
        JsonNode hostId = find(container.path("env"), "LAYERATLAS_HOST_ID");
        assertThat(hostId.path("valueFrom").path("fieldRef").path("fieldPath").asText()).isEqualTo("spec.nodeName");
        // Docker's data-root is mounted read-only from the node.
        String dataRootVolume = null;
        for (JsonNode v : pod.path("volumes")) {
            if (v.path("hostPath").path("path").asText().equals("/var/lib/docker")) {
                dataRootVolume = v.path("name").asText();
            }
        }
        assertThat(dataRootVolume).isNotNull();
        JsonNode mount = find(container.path("volumeMounts"), dataRootVolume);
        assertThat(mount.path("readOnly").asBoolean()).isTrue();
        assertThat(env.get("LAYERATLAS_SOURCE")).isEqualTo(mount.path("mountPath").asText());
        // issue 12: Docker's containerd image store with the system's containerd, found beside the data-root
        String containerdVolume = null;
        for (JsonNode v : pod.path("volumes")) {
            if (v.path("hostPath").path("path").asText().equals("/var/lib/containerd")) {
                containerdVolume = v.path("name").asText();
            }
        }
        assertThat(containerdVolume).isNotNull();
        JsonNode containerdMount = find(container.path("volumeMounts"), containerdVolume);
        assertThat(containerdMount.path("readOnly").asBoolean()).isTrue();
        assertThat(Path.of(containerdMount.path("mountPath").asText()))
                .isEqualTo(Path.of(env.get("LAYERATLAS_SOURCE")).resolveSibling("containerd"));
        assertThat(container.path("resources").path("limits").has("memory")).isTrue();
        assertThat(container.path("resources").path("limits").has("cpu")).isTrue();
        assertThat(container.path("securityContext").path("readOnlyRootFilesystem").asBoolean()).isTrue();
        assertThat(container.path("ports").get(0).path("containerPort").asText()).isEqualTo(env.get("LAYERATLAS_METRICS_PORT"));

        AgentConfig config = AgentConfig.fromEnvironment(env);
        assertThat(config.hostId()).isEqualTo("node-from-downward-api");
        assertThat(config.kafkaProperties()).containsKeys("security.protocol", "sasl.mechanism", "sasl.jaas.config");
        assertThat(config.describe()).doesNotContain("CHANGE-ME");
    }

    @Test
    void the_systemd_unit_and_its_env_file_set_only_known_options_and_document_every_one() throws Exception {
        List<String> unit = Files.readAllLines(DEPLOY.resolve("systemd/layeratlas-agent.service"));
        Map<String, List<String>> directives = new HashMap<>();
        for (String line : unit) {
            if (!line.startsWith("#") && line.contains("=")) {
                directives.computeIfAbsent(line.substring(0, line.indexOf('=')).trim(), k -> new ArrayList<>())
                        .add(line.substring(line.indexOf('=') + 1).trim());
            }
        }
        String execStart = directives.get("ExecStart").get(0);
        List<String> flags = new ArrayList<>();
        Matcher m = FLAG.matcher(execStart);
        while (m.find()) {
            flags.add(m.group());
        }
        assertThat(flags).isNotEmpty().allSatisfy(f -> assertThat(AgentConfig.isKnownFlag(f)).as(f).isTrue());
        assertThat(directives.get("EnvironmentFile")).containsExactly("/etc/layeratlas/agent.env");
        assertThat(directives.get("ReadOnlyPaths")).contains("/var/lib/docker", "-/var/lib/containerd");
        assertThat(directives.get("ProtectSystem")).containsExactly("strict");
        assertThat(directives.get("NoNewPrivileges")).containsExactly("yes");
        assertThat(directives.get("CapabilityBoundingSet")).containsExactly("CAP_DAC_READ_SEARCH");
        assertThat(directives).containsKeys("MemoryMax", "CPUQuota", "StateDirectory");

        Map<String, String> set = new LinkedHashMap<>();
        List<String> mentioned = new ArrayList<>();
        for (String line : Files.readAllLines(DEPLOY.resolve("systemd/agent.env"))) {
            Matcher a = ENV_ASSIGNMENT.matcher(line);
            if (a.matches()) {
                mentioned.add(a.group(1));
                if (!line.startsWith("#")) {
                    set.put(a.group(1), a.group(2));
                }
            }
        }
        assertThat(mentioned).allSatisfy(v -> assertThat(AgentConfig.isKnownEnvironmentVariable(v)).as(v).isTrue());
        assertThat(mentioned).containsAll(AgentConfig.OPTIONS.stream().map(AgentConfig.Option::env).toList());

        set.put("LAYERATLAS_KAFKA_PROPERTIES_FILE", DEPLOY.resolve("systemd/kafka-client.properties").toString());
        AgentConfig config = AgentConfig.fromEnvironment(set);
        assertThat(config.kafkaProperties()).containsEntry("security.protocol", "SASL_SSL").containsKey("sasl.jaas.config");
        assertThat(config.describe()).doesNotContain("CHANGE-ME");
        assertThat(config.metricsPort()).isPositive();
    }

    @Test
    void the_rollout_playbook_templates_only_known_variables() throws Exception {
        List<String> names = new ArrayList<>();
        for (String line : Files.readAllLines(DEPLOY.resolve("rollout/templates/agent.env.j2"))) {
            Matcher a = ENV_ASSIGNMENT.matcher(line);
            if (a.matches()) {
                names.add(a.group(1));
            }
        }
        assertThat(names).contains("LAYERATLAS_BOOTSTRAP_SERVERS", "LAYERATLAS_METRICS_PORT")
                .allSatisfy(v -> assertThat(AgentConfig.isKnownEnvironmentVariable(v)).as(v).isTrue());
        String playbook = Files.readString(DEPLOY.resolve("rollout/agent.yml"));
        assertThat(playbook).contains("../systemd/layeratlas-agent.service", "templates/agent.env.j2", "/healthz");
        new ObjectMapper(new YAMLFactory()).readTree(playbook); // well-formed YAML
    }

    private static JsonNode find(JsonNode list, String name) {
        for (JsonNode n : list) {
            if (n.path("name").asText().equals(name)) {
                return n;
            }
        }
        throw new AssertionError("no entry named " + name + " in " + list);
    }
}
