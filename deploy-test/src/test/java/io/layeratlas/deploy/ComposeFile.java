package io.layeratlas.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The parts of a {@code docker-compose.yml} the deployment test runs, read from the file itself so the test and
 * the file cannot drift: per service its image, command, environment, volumes, published container ports, health
 * check and {@code depends_on} conditions. Values are interpolated as Compose does for the forms the file uses
 * ({@code ${VAR}}, {@code ${VAR:-default}}, {@code ${VAR-default}}, {@code $$}), from the given variables only
 * (Compose specification, "Interpolation"). Keys this class does not understand are an error, so a new option in the
 * file is not silently skipped by the test.
 */
record ComposeFile(String project, Map<String, Service> services) {
    private static final Pattern VARIABLE = Pattern.compile("\\$\\$|\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?}");
    /** Service keys the test applies to its containers, or that have no effect with host networking. */
    private static final List<String> UNDERSTOOD = List.of("image", "build", "command", "environment", "volumes",
            "healthcheck", "depends_on", "restart", "ports");

    /** A compose health check: {@code test} as Docker takes it ({@code CMD}/{@code CMD-SHELL} first). */
    record HealthCheck(List<String> test, Duration interval, int retries) {
    }

    /** {@code condition} is {@code service_started} or {@code service_healthy}. */
    record Dependency(String service, String condition) {
    }

    record Service(String name, String image, List<String> command, Map<String, String> environment,
                   List<String> volumes, List<Integer> containerPorts, Optional<HealthCheck> healthCheck,
                   List<Dependency> dependsOn, Optional<String> restart) {
    }

    /** Reads {@code file}, interpolating with {@code variables}. */
    static ComposeFile read(Path file, Map<String, String> variables) {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        Function<String, String> interpolate = text -> interpolate(text, variables);
        Map<String, Service> services = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : root.get("services").properties()) {
            String name = e.getKey();
            JsonNode s = e.getValue();
            s.fieldNames().forEachRemaining(key -> {
                if (!UNDERSTOOD.contains(key)) {
                    throw new IllegalArgumentException(file + ": service " + name + " sets '" + key
                            + "', which the deployment test does not apply; teach ComposeFile and the test about it");
                }
            });
            List<String> command = new ArrayList<>();
            s.path("command").forEach(c -> command.add(interpolate.apply(c.asText())));
            Map<String, String> env = new LinkedHashMap<>();
            s.path("environment").properties().forEach(v -> env.put(v.getKey(), interpolate.apply(v.getValue().asText())));
            List<String> volumes = new ArrayList<>();
            s.path("volumes").forEach(v -> volumes.add(interpolate.apply(v.asText())));
            List<Integer> ports = new ArrayList<>();
            s.path("ports").forEach(p -> {
                String[] parts = interpolate.apply(p.asText()).split(":");
                ports.add(Integer.parseInt(parts[parts.length - 1].replace("/tcp", "")));
            });
            Optional<HealthCheck> health = Optional.empty();
            JsonNode hc = s.path("healthcheck");
            if (!hc.isMissingNode()) {
                List<String> test = new ArrayList<>();
                hc.get("test").forEach(t -> test.add(interpolate.apply(t.asText())));
                health = Optional.of(new HealthCheck(test, duration(hc.path("interval").asText("30s")), hc.path("retries").asInt(3)));
            }
            List<Dependency> deps = new ArrayList<>();
            s.path("depends_on").properties().forEach(d -> deps.add(new Dependency(d.getKey(),
                    d.getValue().path("condition").asText("service_started"))));
            services.put(name, new Service(name, interpolate.apply(s.get("image").asText()), command, env, volumes, ports,
                    health, deps, Optional.ofNullable(s.path("restart").textValue())));
        }
        return new ComposeFile(root.path("name").asText("layeratlas"), services);
    }

    Service service(String name) {
        Service s = services.get(name);
        if (s == null) {
            throw new IllegalArgumentException("no service " + name + " in the compose file (" + services.keySet() + ")");
        }
        return s;
    }

    static String interpolate(String text, Map<String, String> variables) {
        Matcher m = VARIABLE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String replacement;
            if (m.group().equals("$$")) {
                replacement = "$";
            } else {
                String value = variables.get(m.group(1));
                String op = m.group(2);
                boolean useDefault = op != null && (value == null || (op.equals(":-") && value.isEmpty()));
                replacement = useDefault ? m.group(3) : value == null ? "" : value;
            }
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** Compose durations as the file writes them: {@code 5s}, {@code 1m30s}, {@code 500ms}. */
    static Duration duration(String text) {
        Matcher m = Pattern.compile("(\\d+)(ms|s|m|h)").matcher(text);
        Duration d = Duration.ZERO;
        int end = 0;
        while (m.find()) {
            if (m.start() != end) {
                break;
            }
            long n = Long.parseLong(m.group(1));
            d = d.plus(switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            });
            end = m.end();
        }
        if (end != text.length() || text.isEmpty()) {
            throw new IllegalArgumentException("not a compose duration: '" + text + "'");
        }
        return d;
    }
}
