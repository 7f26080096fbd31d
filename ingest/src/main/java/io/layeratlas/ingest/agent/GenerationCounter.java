package io.layeratlas.ingest.agent;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.function.LongSupplier;

/**
 * Snapshot generation numbers for one host that only grow, also across agent restarts.
 *
 * <p>Each {@link #next()} is {@code max(last + 1, wall-clock millis)}: the last value is kept in
 * {@code <stateDir>/generation} (written atomically before the generation is used), so a clock that steps back
 * cannot make it shrink; and if the state folder is lost or unwritable, wall-clock milliseconds still exceed any
 * generation handed out before, as long as the clock did not step back as well. Not thread-safe: one caller.
 */
final class GenerationCounter {
    private static final Logger log = LoggerFactory.getLogger(GenerationCounter.class);
    static final String FILE_NAME = "generation";

    private final Path file;
    private final LongSupplier clockMillis;
    private long last;
    private boolean warned;

    GenerationCounter(Path stateDir, LongSupplier clockMillis) {
        this.file = stateDir.resolve(FILE_NAME);
        this.clockMillis = clockMillis;
        this.last = read();
    }

    GenerationCounter(Path stateDir) {
        this(stateDir, System::currentTimeMillis);
    }

    /** The last generation handed out (or found on disk), or -1 if none. */
    long last() {
        return last;
    }

    /** A generation greater than every one handed out before; persisted before it is returned. */
    long next() {
        long next = Math.max(last + 1, clockMillis.getAsLong());
        last = next;
        write(next);
        return next;
    }

    private long read() {
        try {
            return Long.parseLong(Files.readString(file, StandardCharsets.US_ASCII).trim());
        } catch (java.nio.file.NoSuchFileException e) {
            return -1;
        } catch (IOException | NumberFormatException e) {
            log.warn("cannot read the generation counter {} ({}); continuing from the wall clock", file, e.toString());
            return -1;
        }
    }

    private void write(long value) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
            Files.writeString(tmp, Long.toString(value) + "\n", StandardCharsets.US_ASCII);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            warned = false;
        } catch (IOException e) {
            if (!warned) {
                log.warn("cannot persist the generation counter in {} ({}); generations follow the wall clock", file, e.toString());
                warned = true;
            }
        }
    }
}
