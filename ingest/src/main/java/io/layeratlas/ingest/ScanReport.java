package io.layeratlas.ingest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import io.layeratlas.events.EventCodec;
import io.layeratlas.events.HostInventory;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * The JSON {@code layeratlas scan} prints: {@code {"sources":[<HostInventory>…]}}, each inventory exactly as
 * {@link EventCodec#newMapper()} writes it ({@code source, kind, hostId, scannedAt, images, layers,
 * problems[{path, reason}]}; times RFC 3339, sizes bytes, digests {@code sha256:<hex>}). Thread-safe.
 */
public final class ScanReport {
    private static final ObjectMapper MAPPER = EventCodec.newMapper();

    private ScanReport() {
    }

    /** Writes the report to a stream (not closed), indented when {@code pretty}. */
    public static void write(List<HostInventory> sources, OutputStream out, boolean pretty) {
        try {
            writer(pretty).writeValue(new NonClosing(out), Map.of("sources", sources));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The report as a string. */
    public static String toJson(List<HostInventory> sources, boolean pretty) {
        try {
            return writer(pretty).writeValueAsString(Map.of("sources", sources));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ObjectWriter writer(boolean pretty) {
        return pretty ? MAPPER.writerWithDefaultPrettyPrinter() : MAPPER.writer();
    }

    /** Jackson closes the target after writeValue; System.out must stay open. */
    private static final class NonClosing extends java.io.FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
