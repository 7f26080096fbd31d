package io.layeratlas.events;

/** The kinds of image storage an agent reads ({@code ../shared/DESIGN.md}, "What the agent reads"). */
public enum SourceKind {
    /** Docker's data-root on disk, any storage driver ({@code image/<driver>/imagedb}, {@code layerdb}). */
    DATA_ROOT("data-root"),
    /** The pre-1.10 graph layout ({@code graph/<v1 id>/json}, {@code repositories-<driver>}). */
    LEGACY_GRAPH("legacy-graph"),
    /** A {@code docker save} archive or an OCI archive (tar, optionally gzipped). */
    ARCHIVE("archive"),
    /** An OCI image layout folder ({@code oci-layout}, {@code index.json}, {@code blobs/}). */
    OCI_LAYOUT("oci-layout"),
    /** The Docker Engine API over a unix socket. */
    ENGINE_API("engine-api");

    private final String id;

    SourceKind(String id) {
        this.id = id;
    }

    /** The name used on the command line ({@code --kind}) and in JSON. */
    public String id() {
        return id;
    }

    /** @throws IllegalArgumentException for an unknown name */
    public static SourceKind fromId(String id) {
        for (SourceKind k : values()) {
            if (k.id.equals(id)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown source kind '" + id + "'");
    }
}
