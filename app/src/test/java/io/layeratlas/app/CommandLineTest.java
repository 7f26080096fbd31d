package io.layeratlas.app;

import io.layeratlas.agent.AgentCommand;
import io.layeratlas.agent.DurationConverter;
import io.layeratlas.agent.SourceSpec;
import io.layeratlas.ingest.agent.AgentConfig;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class CommandLineTest {

    @Test
    void every_agent_option_the_deployment_files_may_use_is_a_flag_with_the_same_environment_variable() {
        CommandLine agent = Main.commandLine().getSubcommands().get("agent");
        for (AgentConfig.Option option : AgentConfig.OPTIONS) {
            if (option.name().equals("kafka-properties-file") || option.name().equals("bootstrap-servers")) {
                assertThat(agent.getCommandSpec().findOption(option.flag())).as(option.flag()).isNotNull();
                continue;
            }
            OptionSpec spec = agent.getCommandSpec().findOption(option.flag());
            assertThat(spec).as("agent flag %s", option.flag()).isNotNull();
            assertThat(OptionDefaults.of(AgentCommand.class).get(option.flag())).as("%s reads %s", option.flag(), option.env())
                    .contains("env:" + option.env());
        }
        assertThat(ComposeFileTest.envVariablesRead(agent.getCommandSpec()))
                .allSatisfy(env -> assertThat(AgentConfig.isKnownEnvironmentVariable(env)).as(env).isTrue());
    }

    @Test
    void every_option_of_every_command_says_which_environment_variable_sets_it() {
        for (var sub : Main.commandLine().getSubcommands().values()) {
            Map<String, String> raw = OptionDefaults.of(sub.getCommandSpec().userObject().getClass());
            for (OptionSpec o : sub.getCommandSpec().options()) {
                String dv = raw.get(o.longestName());
                if (o.usageHelp() || o.versionHelp() || dv == null || !dv.contains("env:")) {
                    continue;
                }
                assertThat(String.join(" ", o.description())).as("%s %s", sub.getCommandName(), o.longestName())
                        .contains("Env: LAYERATLAS_");
            }
        }
    }

    @Test
    void a_source_is_a_path_or_host_equals_path() {
        assertThat(SourceSpec.parse("web-01=/backups/web-01/docker"))
                .isEqualTo(new SourceSpec(Optional.of("web-01"), "/backups/web-01/docker"));
        assertThat(SourceSpec.parse("/data/a=b/docker")).isEqualTo(new SourceSpec(Optional.empty(), "/data/a=b/docker"));
        assertThat(SourceSpec.parse("unix:///var/run/docker.sock").hostId()).isEmpty();
        assertThat(SourceSpec.parse("/backups/web-01/docker").hostIdOrFolderName()).isEqualTo("web-01");
        assertThat(DurationConverter.parse("5m")).hasMinutes(5);
        assertThat(List.of(Main.commandLine().getSubcommands().keySet().toArray()))
                .contains("scan", "agent", "indexer", "dashboard", "up");
    }
}
