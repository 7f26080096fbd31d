package io.layeratlas.ingest.legacy;

import com.fasterxml.jackson.databind.JsonNode;
import io.layeratlas.events.Digest;
import io.layeratlas.ingest.internal.GoJson;
import io.layeratlas.ingest.internal.SafeFiles;
import io.layeratlas.ingest.internal.UnreadableItemException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.zip.GZIPInputStream;

/**
 * Reassembles a layer's tar stream from tar-split metadata plus the unpacked files, and hashes it: the
 * stream's sha256 is the layer's diff ID. Format (vbatts/tar-split, {@code tar/storage/entry.go}): gzipped
 * JSON lines, each {@code {"type":1|2, "name", "name_raw", "size", "payload", "position"}}; type 2 (segment)
 * carries raw tar bytes (headers, padding, end blocks) base64 in {@code payload}; type 1 (file) names a file
 * whose {@code size} bytes follow, with {@code payload} the base64 big-endian CRC-64 (ISO) of its content.
 * File bytes are read from the layer's unpacked folder, refusing names that leave it.
 */
final class TarSplitAssembler {
    private static final long[] CRC64_ISO = crcTable(0xD800000000000000L);

    private TarSplitAssembler() {
    }

    /**
     * @param tarData  {@code graph/<v1 id>/tar-data.json.gz}
     * @param diffDir  files of the layer ({@code aufs/diff/<v1 id>}), read through {@code files}
     * @param files    safe access rooted at the diff folder
     * @param relTarData how problems name {@code tarData}
     * @return the diff ID
     * @throws UnreadableItemException for a bad line, a missing or changed file, a name leaving the folder
     */
    static Digest diffId(InputStream tarData, Path diffDir, SafeFiles files, String relTarData) {
        MessageDigest sha = Digest.sha256();
        byte[] buf = new byte[64 * 1024];
        int lineNo = 0;
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(new GZIPInputStream(tarData),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode e = GoJson.parse(line, relTarData, "line " + lineNo);
                int type = GoJson.field(e, "type").asInt(-1);
                if (type == 2) {
                    sha.update(Base64.getDecoder().decode(GoJson.text(e, "payload")));
                } else if (type == 1) {
                    long size = GoJson.field(e, "size").asLong(0);
                    if (size == 0) {
                        continue;
                    }
                    String name = !GoJson.text(e, "name_raw").isEmpty()
                            ? new String(Base64.getDecoder().decode(GoJson.text(e, "name_raw")), StandardCharsets.ISO_8859_1)
                            : GoJson.text(e, "name");
                    Path file = diffDir.resolve(name).normalize();
                    if (!file.startsWith(diffDir) || name.isEmpty()) {
                        throw new UnreadableItemException(relTarData, "line " + lineNo + ": file name '" + name
                                + "' leaves the layer folder");
                    }
                    long crc = ~0L;
                    long left = size;
                    try (InputStream in = files.open(file)) {
                        while (left > 0) {
                            int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                            if (n < 0) {
                                throw new UnreadableItemException(files.rel(file), "shorter than the "
                                        + size + " bytes the tar-split metadata records");
                            }
                            sha.update(buf, 0, n);
                            crc = crcUpdate(crc, buf, n);
                            left -= n;
                        }
                    }
                    String want = GoJson.text(e, "payload");
                    if (!want.isEmpty()) {
                        byte[] got = ByteBuffer.allocate(8).putLong(~crc).array();
                        if (!Base64.getEncoder().encodeToString(got).equals(want)) {
                            throw new UnreadableItemException(files.rel(file), "content differs from what the "
                                    + "tar-split metadata records (CRC-64 mismatch)");
                        }
                    }
                } else {
                    throw new UnreadableItemException(relTarData, "line " + lineNo + " has unknown entry type " + type);
                }
            }
        } catch (IOException e) {
            throw new UnreadableItemException(relTarData, "cannot read tar-split metadata: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new UnreadableItemException(relTarData, "line " + lineNo + ": bad base64 in payload or name_raw: " + e.getMessage());
        }
        return Digest.sha256Of(sha);
    }

    private static long crcUpdate(long crc, byte[] b, int n) {
        for (int i = 0; i < n; i++) {
            crc = CRC64_ISO[(int) ((crc ^ b[i]) & 0xff)] ^ (crc >>> 8);
        }
        return crc;
    }

    private static long[] crcTable(long poly) {
        long[] t = new long[256];
        for (int i = 0; i < 256; i++) {
            long crc = i;
            for (int j = 0; j < 8; j++) {
                crc = (crc & 1) == 1 ? (crc >>> 1) ^ poly : crc >>> 1;
            }
            t[i] = crc;
        }
        return t;
    }
}
