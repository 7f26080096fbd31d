package io.layeratlas.ingest.agent;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A host's stable identity and where it came from (DESIGN.md, vocabulary "host ID"): the configured
 * {@code --host-id}, else {@code /etc/machine-id}, else the Docker daemon's ID (when a daemon is reachable),
 * else the hostname. Immutable.
 *
 * @param hostId the host ID; never blank
 * @param origin which rule gave it
 */
public record HostIdentity(String hostId, Origin origin) {
    private static final Logger log = LoggerFactory.getLogger(HostIdentity.class);

    /** The file systemd and dbus keep the machine's ID in (machine-id(5)). */
    public static final Path MACHINE_ID = Path.of("/etc/machine-id");

    /** Where a host ID came from, in the order they are tried. */
    public enum Origin { CONFIGURED, MACHINE_ID, DOCKER_DAEMON, HOSTNAME }

    public HostIdentity {
        Objects.requireNonNull(hostId, "hostId");
        Objects.requireNonNull(origin, "origin");
        if (hostId.isBlank()) {
            throw new IllegalArgumentException("host ID must not be blank");
        }
    }

    /**
     * Resolves this host's ID in the documented order.
     *
     * @param configured the configured host ID, or null
     * @param dockerHost the daemon to ask for its ID ({@code unix:///var/run/docker.sock}), or null to skip it;
     *                   an unreachable daemon is skipped after a two-second timeout
     */
    public static HostIdentity resolve(String configured, String dockerHost) {
        return resolve(configured, MACHINE_ID,
                () -> dockerHost == null ? Optional.empty() : DockerEngine.daemonId(dockerHost),
                HostIdentity::hostname);
    }

    /** As {@link #resolve(String, String)}, with each step given; for tests. */
    static HostIdentity resolve(String configured, Path machineIdFile, Supplier<Optional<String>> daemonId,
                                Supplier<String> hostname) {
        if (configured != null && !configured.isBlank()) {
            return new HostIdentity(configured.trim(), Origin.CONFIGURED);
        }
        Optional<String> machineId = readMachineId(machineIdFile);
        if (machineId.isPresent()) {
            return new HostIdentity(machineId.get(), Origin.MACHINE_ID);
        }
        Optional<String> daemon;
        try {
            daemon = daemonId.get().filter(s -> !s.isBlank());
        } catch (RuntimeException e) {
            log.debug("Docker daemon ID unavailable", e);
            daemon = Optional.empty();
        }
        if (daemon.isPresent()) {
            return new HostIdentity(daemon.get(), Origin.DOCKER_DAEMON);
        }
        return new HostIdentity(hostname.get(), Origin.HOSTNAME);
    }

    static Optional<String> readMachineId(Path file) {
        try {
            String id = Files.readString(file, StandardCharsets.US_ASCII).trim();
            // systemd writes "uninitialized" during first boot (machine-id(5), "First Boot Semantics").
            return id.isEmpty() || id.equals("uninitialized") ? Optional.empty() : Optional.of(id);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    static String hostname() {
        try {
            String name = InetAddress.getLocalHost().getHostName();
            if (name != null && !name.isBlank()) {
                return name;
            }
        } catch (IOException e) {
            log.debug("no local host name", e);
        }
        String env = System.getenv("HOSTNAME");
        return env == null || env.isBlank() ? "unknown-host" : env;
    }

    @Override
    public String toString() {
        return hostId + " (from " + switch (origin) {
            case CONFIGURED -> "--host-id";
            case MACHINE_ID -> MACHINE_ID;
            case DOCKER_DAEMON -> "the Docker daemon's ID";
            case HOSTNAME -> "the hostname";
        } + ")";
    }
}
