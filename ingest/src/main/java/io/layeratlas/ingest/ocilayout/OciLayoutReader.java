package io.layeratlas.ingest.ocilayout;

import io.layeratlas.events.Digest;
import io.layeratlas.events.HostInventory;
import io.layeratlas.events.Problem;
import io.layeratlas.events.SourceKind;
import io.layeratlas.ingest.SourceScan;
import io.layeratlas.ingest.StorageReader;
import io.layeratlas.ingest.UnreadableSourceException;
import io.layeratlas.ingest.archive.ImageAssembler;
import io.layeratlas.ingest.archive.LayerDigests;
import io.layeratlas.ingest.archive.OciImages;
import io.layeratlas.ingest.internal.SafeFiles;
import io.layeratlas.ingest.internal.UnreadableItemException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads an OCI image layout folder (OCI image-spec, image-layout.md): {@code oci-layout}, {@code index.json}
 * (nested indexes and multi-platform indexes followed; attestation manifests skipped: see {@link OciImages}),
 * blobs under {@code blobs/<algorithm>/<hex>}. Every blob read is checked against its digest; layer blobs are
 * decompressed (gzip, zstd or plain, by magic bytes) and hashed for diff IDs. Files are opened read-only and
 * never followed out of the folder.
 */
public final class OciLayoutReader implements StorageReader {
    private final boolean readPackages;

    /** A reader that also reads each layer's package databases on the walk that hashes it. */
    public OciLayoutReader() {
        this(true);
    }

    /**
     * @param readPackages whether to read each layer's package databases on the walk that hashes it; without,
     *                     {@link SourceScan#layerDatabases()} is empty (the agent's {@code --no-packages})
     */
    public OciLayoutReader(boolean readPackages) {
        this.readPackages = readPackages;
    }

    @Override
    public SourceKind kind() {
        return SourceKind.OCI_LAYOUT;
    }

    @Override
    public SourceScan read(String source, String hostId) {
        Path root = Path.of(source);
        if (!Files.isRegularFile(root.resolve("index.json"))) {
            throw new UnreadableSourceException(source, "no index.json: not an OCI image layout");
        }
        SafeFiles files = SafeFiles.forSource(source);
        List<Problem> problems = new ArrayList<>();
        ImageAssembler assembler = new ImageAssembler(problems);
        OciImages.Blobs blobs = new OciImages.Blobs() {
            @Override
            public byte[] bytes(Digest d) {
                return files.read(path(d));
            }

            @Override
            public LayerDigests.Hashes hashes(Digest d) {
                try (InputStream in = files.open(path(d))) {
                    return LayerDigests.hash(in, readPackages);
                } catch (IOException e) {
                    throw new UnreadableItemException(where(d), "cannot read or decompress: " + e.getMessage(), e);
                }
            }

            @Override
            public String where(Digest d) {
                return "blobs/" + d.algorithm() + "/" + d.hex();
            }

            @Override
            public boolean exists(Digest d) {
                return Files.exists(path(d), java.nio.file.LinkOption.NOFOLLOW_LINKS);
            }

            private Path path(Digest d) {
                return root.resolve("blobs").resolve(d.algorithm()).resolve(d.hex());
            }
        };
        try {
            OciImages.read(files.read(root.resolve("index.json")), "index.json", blobs, problems).forEach(assembler::add);
        } catch (UnreadableItemException e) {
            problems.add(e.toProblem());
        }
        HostInventory inv = new HostInventory(source, kind().id(), hostId, Instant.now(), assembler.images(),
                assembler.layers(), problems);
        return new SourceScan(inv, assembler.configs(), assembler.layerDatabases());
    }
}
