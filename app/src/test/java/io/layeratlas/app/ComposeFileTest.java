package io.layeratlas.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.layeratlas.agent.AgentMain;
import io.layeratlas.testing.Fixtures;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docker-compose.yml read as a file: every LayerAtlas service runs a real subcommand of the jar in its image (the
 * slim agent's for the agent), every flag it passes exists on that subcommand, and every LAYERATLAS_* variable it
 * sets is one that subcommand reads. The services themselves run in deploy-test's ComposeDeploymentTest.
 */
class ComposeFileTest {
    private static final Pattern ENV = Pattern.compile("env:(LAYERATLAS_[A-Z0-9_]+)");
    /** {@code ${LAYERATLAS_IMAGE:-layeratlas}} or {@code ${LAYERATLAS_AGENT_IMAGE:-layeratlas-agent}}. */
    private static final Pattern LAYERATLAS_IMAGE =
            Pattern.compile("\\$\\{LAYERATLAS(_AGENT)?_IMAGE:-layeratlas(?:-agent)?}");

    @Test
    void every_layeratlas_option_the_compose_file_sets_exists() throws Exception {
        JsonNode compose = new ObjectMapper(new YAMLFactory())
                .readTree(Fixtures.projectRoot().resolve("docker-compose.yml").toFile());
        List<String> checked = new ArrayList<>();
        for (Map.Entry<String, JsonNode> service : compose.get("services").properties()) {
            JsonNode s = service.getValue();
            Matcher image = LAYERATLAS_IMAGE.matcher(s.path("image").asText());
            if (!image.matches()) {
                continue;
            }
            // The agent service runs the slim agent image, whose jar has only the agent's commands.
            boolean slim = image.group(1) != null;
            CommandLine root = slim ? AgentMain.commandLine() : Main.commandLine();
            List<String> command = new ArrayList<>();
            s.get("command").forEach(c -> command.add(c.asText()));
            CommandLine sub = root.getSubcommands().get(command.get(0));
            assertThat(sub).as("service %s runs subcommand %s", service.getKey(), command.get(0)).isNotNull();
            // Parsing the arguments fails on any unknown flag or bad value.
            (slim ? AgentMain.commandLine() : Main.commandLine()).parseArgs(command.toArray(String[]::new));
            TreeSet<String> readable = envVariablesRead(sub.getCommandSpec());
            s.path("environment").fieldNames().forEachRemaining(name -> {
                if (name.startsWith("LAYERATLAS_")) {
                    assertThat(readable).as("service %s sets %s", service.getKey(), name).contains(name);
                    checked.add(service.getKey() + ":" + name);
                }
            });
        }
        assertThat(checked).contains("indexer:LAYERATLAS_BOOTSTRAP_SERVERS", "dashboard:LAYERATLAS_DB_URL",
                "agent:LAYERATLAS_HOST_ID", "agent:LAYERATLAS_METRICS_PORT");
    }

    static TreeSet<String> envVariablesRead(CommandSpec spec) {
        TreeSet<String> names = new TreeSet<>();
        Map<String, String> raw = OptionDefaults.of(spec.userObject().getClass());
        for (OptionSpec o : spec.options()) {
            String dv = raw.get(o.longestName());
            if (dv != null) {
                Matcher m = ENV.matcher(dv);
                while (m.find()) {
                    names.add(m.group(1));
                }
            }
            for (String line : o.description()) {
                Matcher m = Pattern.compile("Env: (LAYERATLAS_[A-Z0-9_]*[A-Z0-9])").matcher(line);
                while (m.find()) {
                    names.add(m.group(1));
                }
            }
        }
        return names;
    }
}
