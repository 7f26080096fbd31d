package io.layeratlas.agent;

import io.layeratlas.ingest.agent.HostIdentity;

import java.nio.file.Path;
import java.util.Optional;

/** Host IDs for sources named on the command line (DESIGN.md "host ID"). */
public final class HostIds {
    private static final Path LOCAL_DATA_ROOT = Path.of("/var/lib/docker");

    private HostIds() {
    }

    /**
     * {@code HOST=} from the source, else the {@code --host-id} option, else this machine's identity for the local
     * data-root and daemon socket, else the copied data-root's folder name.
     */
    public static String forSource(SourceSpec spec, Optional<String> option) {
        if (spec.hostId().isPresent()) {
            return spec.hostId().get();
        }
        if (option.isPresent() && !option.get().isBlank()) {
            return option.get();
        }
        boolean local = spec.location().startsWith("unix://")
                || Path.of(spec.location()).toAbsolutePath().normalize().equals(LOCAL_DATA_ROOT);
        String folder = local ? null : spec.hostIdOrFolderName();
        return folder != null ? folder : thisMachine();
    }

    /** This machine's identity: {@code /etc/machine-id}, else the hostname ({@link HostIdentity}). */
    public static String thisMachine() {
        return HostIdentity.resolve(null, null).hostId();
    }
}
