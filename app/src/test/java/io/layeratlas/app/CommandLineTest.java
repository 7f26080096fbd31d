package io.layeratlas.app;

import io.layeratlas.agent.AgentCommand;
import io.layeratlas.agent.DurationConverter;
import io.layeratlas.agent.SourceSpec;
import io.layeratlas.ingest.agent.AgentConfig;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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

    /** A scan run as the command line runs it: exit code, standard output, error output. */
    record Run(int exit, String out, String err) {
    }

    static Run scan(String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            CommandLine cli = Main.commandLine();
            cli.setErr(new PrintWriter(err, true));
            String[] all = new String[args.length + 1];
            all[0] = "scan";
            System.arraycopy(args, 0, all, 1, args.length);
            int exit = cli.execute(all);
            return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString());
        } finally {
            System.setOut(saved);
        }
    }

    @Test
    void scan_of_sources_that_are_not_image_stores_prints_each_as_a_located_problem_and_exits_1(@TempDir Path dir)
            throws Exception {
        Path folder = Files.createDirectories(dir.resolve("photos"));
        Path missing = dir.resolve("nothing-here");
        Run run = scan("--host-id", "h", folder.toString(), missing.toString());
        assertThat(run.exit()).isEqualTo(1);
        JsonNode sources = new ObjectMapper().readTree(run.out()).get("sources");
        assertThat(sources).hasSize(2);
        JsonNode problem = sources.get(0).get("problems").get(0);
        assertThat(problem.get("path").asText()).isEqualTo(folder.toString());
        assertThat(problem.get("reason").asText()).startsWith("not an image store: the folder holds none of oci-layout");
        assertThat(sources.get(0).get("kind").asText()).isEqualTo("unknown");
        assertThat(sources.get(1).get("problems").get(0).get("reason").asText()).isEqualTo("no such file or folder");
    }

    @Test
    void scan_of_a_file_that_is_not_an_archive_prints_the_problem_and_exits_1(@TempDir Path dir) throws Exception {
        Path notes = Files.writeString(dir.resolve("notes.txt"), "hello\n");
        Run run = scan("--host-id", "h", notes.toString());
        assertThat(run.exit()).isEqualTo(1);
        JsonNode source = new ObjectMapper().readTree(run.out()).get("sources").get(0);
        assertThat(source.get("kind").asText()).isEqualTo("archive");
        assertThat(source.get("problems").get(0).get("path").asText()).isEqualTo(notes.toString());
    }

    @Test
    void an_unknown_kind_is_a_usage_error_exit_2() {
        Run run = scan("--kind", "floppy", "/tmp");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("unknown source kind 'floppy'");
    }

    @Test
    void scan_as_a_table_lists_images_as_docker_image_ls_did_and_containers_as_docker_ps_did() throws Exception {
        String host = "web-01";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream saved = System.out;
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            code = Main.commandLine().execute("scan", "--format", "table",
                    host + "=" + io.layeratlas.testing.Fixtures.dataRoot(host));
        } finally {
            System.setOut(saved);
        }
        assertThat(code).isZero();
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines.get(1)).startsWith("REPOSITORY").contains("TAG", "IMAGE ID", "CREATED", "SIZE");
        java.util.Set<String> got = new java.util.TreeSet<>();
        for (String line : lines.subList(2, lines.indexOf(""))) {
            String[] f = line.split(" {3,}");
            got.add(f[0] + " " + f[1] + " " + f[2] + " " + f[4]);
        }
        // truth/web-01/image-ls.jsonl: docker image ls -a --digests --format '{{json .}}'
        java.util.Set<String> want = new java.util.TreeSet<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(io.layeratlas.testing.Fixtures.truth(host).resolve("image-ls.jsonl"))) {
            JsonNode i = json.readTree(line);
            want.add(i.path("Repository").asText() + " " + i.path("Tag").asText() + " " + i.path("ID").asText().substring(7, 19)
                    + " " + i.path("Size").asText());
        }
        assertThat(got).isEqualTo(want);
        // truth/web-01/containers.jsonl: docker ps -a
        JsonNode ps = json.readTree(Files.readAllLines(io.layeratlas.testing.Fixtures.truth(host).resolve("containers.jsonl")).get(0));
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith(ps.path("ID").asText().substring(0, 12))
                .contains(ps.path("Image").asText()).contains(ps.path("State").asText()).endsWith(ps.path("Names").asText()));
    }
}
