package io.layeratlas.agent;

import java.nio.file.Path;
import java.util.Optional;

/**
 * A source on the command line: {@code PATH} or {@code HOST=PATH} (the latter sets the host ID), where PATH is a
 * data-root folder, an archive, an OCI layout, or a {@code unix://} socket URI.
 */
public record SourceSpec(Optional<String> hostId, String location) {

    public static SourceSpec parse(String text) {
        int eq = text.indexOf('=');
        // "unix:///var/run/docker.sock" and paths may contain '=' only after a scheme or slash: HOST= comes first.
        if (eq > 0 && text.lastIndexOf('/', eq) < 0 && !text.substring(0, eq).contains(":")) {
            String host = text.substring(0, eq);
            String location = text.substring(eq + 1);
            if (location.isEmpty()) {
                throw new IllegalArgumentException("source '" + text + "' names host " + host + " but no path");
            }
            return new SourceSpec(Optional.of(host), location);
        }
        return new SourceSpec(Optional.empty(), text);
    }

    /**
     * A host ID for a source given without one when several sources run in one JVM ({@code up}): the folder's name,
     * or its parent's when the folder is called {@code docker} ({@code /backups/web-01/docker} → {@code web-01}).
     */
    public String hostIdOrFolderName() {
        if (hostId.isPresent()) {
            return hostId.get();
        }
        if (location.startsWith("unix://")) {
            return null;
        }
        Path p = Path.of(location).toAbsolutePath().normalize();
        Path name = p.getFileName();
        if (name == null) {
            return null;
        }
        if ((name.toString().equals("docker") || name.toString().equals("data-root")) && p.getParent() != null
                && p.getParent().getFileName() != null) {
            return p.getParent().getFileName().toString();
        }
        return name.toString();
    }
}
