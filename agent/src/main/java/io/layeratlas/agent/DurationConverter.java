package io.layeratlas.agent;

import io.layeratlas.ingest.agent.AgentConfig;
import picocli.CommandLine;

import java.time.Duration;

/**
 * Durations on the command line, read as every LayerAtlas process reads them ({@link AgentConfig#parseDuration}):
 * {@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 1d}, a bare number of seconds, or ISO-8601 {@code PT30S}.
 */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        return parse(value);
    }

    public static Duration parse(String value) {
        try {
            return AgentConfig.parseDuration("duration", value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
