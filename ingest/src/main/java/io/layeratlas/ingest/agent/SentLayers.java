package io.layeratlas.ingest.agent;

import io.layeratlas.events.Digest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The diff IDs whose {@link io.layeratlas.events.LayerPackages} Kafka has acknowledged, so an unchanged layer is read
 * and sent once, not on every rescan: kept in memory and in {@code <stateDir>/layer-packages-sent} (one diff ID a
 * line, appended on each acknowledgement, rewritten without the layers a scan no longer finds), so a restart does
 * not re-read them either. An unwritable state folder is logged once; the set then lives in memory only. A line
 * that is not a diff ID is skipped (the layer is read again). Thread-safe: acknowledgements come from the
 * publishing thread, lookups from the scanning thread.
 */
final class SentLayers {
    private static final Logger log = LoggerFactory.getLogger(SentLayers.class);
    static final String FILE_NAME = "layer-packages-sent";

    private final Path file;
    private final Set<Digest> sent = ConcurrentHashMap.newKeySet();
    private boolean warned;

    SentLayers(Path stateDir) {
        this.file = stateDir.resolve(FILE_NAME);
        try {
            if (Files.exists(file)) {
                for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
                    try {
                        if (!line.isBlank()) {
                            sent.add(Digest.parse(line.strip()));
                        }
                    } catch (IllegalArgumentException e) {
                        log.debug("{}: skipping '{}'", file, line);
                    }
                }
            }
        } catch (IOException e) {
            log.warn("cannot read {} ({}): every layer is read again", file, e.toString());
        }
    }

    boolean contains(Digest diffId) {
        return sent.contains(diffId);
    }

    int size() {
        return sent.size();
    }

    /** Kafka acknowledged this layer's event. */
    synchronized void acknowledged(Digest diffId) {
        if (!sent.add(diffId)) {
            return;
        }
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, diffId + "\n", StandardCharsets.US_ASCII, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            warnOnce(e);
        }
    }

    /** Forgets the layers no longer on the host (so the set and file stay the size of the host's layers). */
    synchronized void retainOnly(Collection<Digest> present) {
        Set<Digest> keep = new HashSet<>(present);
        if (!sent.removeIf(d -> !keep.contains(d))) {
            return;
        }
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
            StringBuilder sb = new StringBuilder();
            for (Digest d : new TreeSet<>(sent)) {
                sb.append(d).append('\n');
            }
            Files.writeString(tmp, sb, StandardCharsets.US_ASCII);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            warnOnce(e);
        }
    }

    private void warnOnce(IOException e) {
        if (!warned) {
            warned = true;
            log.warn("cannot write {} ({}): layers already sent are remembered until the agent stops only", file, e.toString());
        }
    }
}
