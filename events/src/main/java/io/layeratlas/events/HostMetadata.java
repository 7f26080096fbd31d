package io.layeratlas.events;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a snapshot says about the host itself rather than its images. Every value is optional (null = unknown).
 *
 * @param dockerVersion   the daemon's version ({@code GET /info} {@code ServerVersion}); null when read from disk
 * @param storageDriver   the storage driver ({@code /info} {@code Driver}, else the data-root's
 *                        {@code image/<driver>/} folder)
 * @param dataRoot        Docker's data-root ({@code /info} {@code DockerRootDir}, else the path scanned)
 * @param operatingSystem the host's operating system ({@code /info} {@code OperatingSystem}); null when read from disk
 * @param labels          operator labels given to the agent ({@code --label env=prod}), sorted by key (never null;
 *                        keys non-blank)
 */
public record HostMetadata(String dockerVersion, String storageDriver, String dataRoot, String operatingSystem,
                           Map<String, String> labels) {
    public HostMetadata {
        TreeMap<String, String> sorted = new TreeMap<>();
        if (labels != null) {
            labels.forEach((k, v) -> {
                if (k == null || k.isBlank()) {
                    throw new IllegalArgumentException("a host label needs a key");
                }
                sorted.put(k, v == null ? "" : v);
            });
        }
        labels = Collections.unmodifiableMap(sorted);
    }

    /** Nothing known. */
    public static HostMetadata unknown() {
        return new HostMetadata(null, null, null, null, Map.of());
    }

    /** This metadata with {@code labels} instead of its own. */
    public HostMetadata withLabels(Map<String, String> labels) {
        return new HostMetadata(dockerVersion, storageDriver, dataRoot, operatingSystem, labels);
    }

    /** True when nothing is known: such metadata is left out of a snapshot. */
    public boolean isEmpty() {
        return dockerVersion == null && storageDriver == null && dataRoot == null && operatingSystem == null
                && labels.isEmpty();
    }
}
