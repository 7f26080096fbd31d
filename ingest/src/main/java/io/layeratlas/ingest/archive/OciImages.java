package io.layeratlas.ingest.archive;

import com.fasterxml.jackson.databind.JsonNode;
import io.layeratlas.events.Digest;
import io.layeratlas.events.Problem;
import io.layeratlas.ingest.internal.GoJson;
import io.layeratlas.ingest.internal.UnreadableItemException;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Walks an OCI image layout's {@code index.json} (OCI image-spec, image-layout.md, image-index.md,
 * manifest.md): nested indexes (and Docker manifest lists) are followed; every image manifest gives one
 * {@link FoundImage}. Manifests that are not images are skipped: attestation manifests (BuildKit's
 * {@code vnd.docker.reference.type: attestation-manifest}, platform {@code unknown/unknown}, in-toto layers)
 * and manifests whose config is not an image config. Repo tags come from the descriptor annotations
 * {@code io.containerd.image.name}, else {@code org.opencontainers.image.ref.name}.
 *
 * <p>Media types: a descriptor of a type that is neither an index nor an image manifest (OCI image-spec,
 * media-types.md; Docker's manifest v2 and manifest list) is a problem naming the type, and is skipped; OCI
 * artifact manifests are skipped silently. A layer of a type that is not a known layer type is a problem naming
 * the type, and is still hashed (by magic bytes), so the config's diff IDs decide whether the image holds.
 * Foreign layers (Docker {@code …rootfs.foreign.diff.tar[.gzip]}, OCI {@code …layer.nondistributable…}) whose
 * blob is absent are known-absent, not problems: image-layout.md lets a layout miss referenced blobs ("SHOULD be
 * fulfilled by an external blob store"), and Docker treats them the same way (it does not push foreign layers and
 * fetches them from their {@code urls}). Such a layer is found without hashes
 * ({@link FoundImage.FoundLayer#hashes()} null): the image keeps the config's diff IDs, its size is unknown, and no
 * layer record claims this source holds it. A foreign layer whose blob is present is read like any other.
 */
public final class OciImages {
    private static final Set<String> INDEX_TYPES = Set.of("application/vnd.oci.image.index.v1+json",
            "application/vnd.docker.distribution.manifest.list.v2+json");
    private static final Set<String> MANIFEST_TYPES = Set.of("application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.v2+json");
    /** Not images, skipped without a problem (OCI image-spec 1.1 release candidates' artifact manifest). */
    private static final Set<String> ARTIFACT_TYPES = Set.of("application/vnd.oci.artifact.manifest.v1+json");
    /** Layers a host need not hold: fetched from their {@code urls} (Windows base layers). */
    static final Set<String> FOREIGN_LAYER_TYPES = Set.of(
            "application/vnd.docker.image.rootfs.foreign.diff.tar",
            "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
            "application/vnd.oci.image.layer.nondistributable.v1.tar",
            "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
            "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd");
    static final Set<String> LAYER_TYPES = Set.of(
            "application/vnd.oci.image.layer.v1.tar",
            "application/vnd.oci.image.layer.v1.tar+gzip",
            "application/vnd.oci.image.layer.v1.tar+zstd",
            "application/vnd.docker.image.rootfs.diff.tar",
            "application/vnd.docker.image.rootfs.diff.tar.gzip",
            "application/vnd.docker.image.rootfs.diff.tar.zstd");
    private static final Set<String> IMAGE_CONFIG_TYPES = Set.of("application/vnd.oci.image.config.v1+json",
            "application/vnd.docker.container.image.v1+json");

    /** Where blobs come from: an archive's entries or a layout folder's files. */
    public interface Blobs {
        /** A blob's bytes (for small blobs: indexes, manifests, configs). */
        byte[] bytes(Digest digest);

        /** A blob's digests, reading it as a stream. */
        LayerDigests.Hashes hashes(Digest digest);

        /** How problems name the blob. */
        String where(Digest digest);

        /** Whether anything at all is stored under the blob's name (a broken or dangling entry counts). */
        boolean exists(Digest digest);
    }

    private OciImages() {
    }

    /** Reads every image the index names. Problems are added; the walk goes on past a bad descriptor. */
    public static List<FoundImage> read(byte[] indexJson, String indexWhere, Blobs blobs, List<Problem> problems) {
        List<FoundImage> out = new ArrayList<>();
        JsonNode index = GoJson.parseObject(indexJson, indexWhere, "image index");
        walk(index, indexWhere, "", blobs, problems, out, new HashSet<>(), 0);
        return out;
    }

    private static void walk(JsonNode index, String where, String inheritedName, Blobs blobs, List<Problem> problems, List<FoundImage> out,
                             Set<Digest> seen, int depth) {
        JsonNode manifests = GoJson.field(index, "manifests");
        if (!manifests.isArray()) {
            problems.add(new Problem(where, GoJson.absent(manifests) ? "the index has no manifests list"
                    : "manifests is a JSON " + GoJson.kind(manifests) + ", not a list"));
            return;
        }
        for (int i = 0; i < manifests.size(); i++) {
            JsonNode d = manifests.get(i);
            String at = where + " manifests[" + i + "]";
            try {
                Digest digest = GoJson.digest(d, "digest", at);
                String type = GoJson.text(d, "mediaType");
                // annotations is a map: its keys are exact
                JsonNode ann = GoJson.field(d, "annotations");
                if ("attestation-manifest".equals(ann.path("vnd.docker.reference.type").asText(""))
                        || "unknown".equals(GoJson.text(GoJson.field(d, "platform"), "os"))) {
                    continue; // metadata about an image, not an image
                }
                // a name on an index descriptor names every image below it
                String name = ann.path("io.containerd.image.name").asText(
                        ann.path("org.opencontainers.image.ref.name").asText(inheritedName));
                if (!seen.add(digest)) {
                    continue;
                }
                if (ARTIFACT_TYPES.contains(type)) {
                    continue;
                }
                if (!type.isEmpty() && !INDEX_TYPES.contains(type) && !MANIFEST_TYPES.contains(type)) {
                    problems.add(new Problem(at, "unknown media type " + type + " for " + digest
                            + ": neither an image index nor an image manifest; skipped"));
                    continue;
                }
                byte[] bytes = blobs.bytes(digest);
                checkDigest(bytes, digest, blobs.where(digest));
                JsonNode doc = GoJson.parseObject(bytes, blobs.where(digest), "manifest or index");
                String docType = GoJson.text(doc, "mediaType");
                if (docType.isEmpty()) {
                    docType = type;
                }
                if (ARTIFACT_TYPES.contains(docType)) {
                    continue;
                }
                if (!docType.isEmpty() && !INDEX_TYPES.contains(docType) && !MANIFEST_TYPES.contains(docType)) {
                    problems.add(new Problem(blobs.where(digest), "unknown media type " + docType
                            + ": neither an image index nor an image manifest; skipped"));
                    continue;
                }
                if (INDEX_TYPES.contains(type) || INDEX_TYPES.contains(docType) || !GoJson.absent(GoJson.field(doc, "manifests"))) {
                    if (depth > 8) {
                        problems.add(new Problem(blobs.where(digest), "indexes nested deeper than 8"));
                        continue;
                    }
                    walk(doc, blobs.where(digest), name, blobs, problems, out, seen, depth + 1);
                    continue;
                }
                manifest(doc, blobs.where(digest), name, blobs, problems).ifPresent(out::add);
            } catch (UnreadableItemException e) {
                problems.add(e.toProblem());
            } catch (IllegalArgumentException e) {
                problems.add(new Problem(at, "bad descriptor: " + e.getMessage()));
            }
        }
    }

    private static Optional<FoundImage> manifest(JsonNode m, String where, String name, Blobs blobs, List<Problem> problems) {
        JsonNode cfg = GoJson.field(m, "config");
        if (GoJson.absent(cfg)) {
            throw new UnreadableItemException(where, "the manifest has no config descriptor");
        }
        String cfgType = GoJson.text(cfg, "mediaType");
        if (!cfgType.isEmpty() && !IMAGE_CONFIG_TYPES.contains(cfgType)) {
            return Optional.empty(); // an artifact (attestation, signature, SBOM), not an image
        }
        Digest cfgDigest = GoJson.digest(cfg, "digest", where + " config");
        byte[] config = blobs.bytes(cfgDigest);
        checkDigest(config, cfgDigest, blobs.where(cfgDigest));
        List<FoundImage.FoundLayer> layers = new ArrayList<>();
        JsonNode ls = GoJson.field(m, "layers");
        if (!GoJson.absent(ls) && !ls.isArray()) {
            throw new UnreadableItemException(where, "layers is a JSON " + GoJson.kind(ls) + ", not a list");
        }
        for (int i = 0; i < ls.size(); i++) {
            JsonNode l = ls.get(i);
            Digest d = GoJson.digest(l, "digest", where + " layers[" + i + "]");
            String type = GoJson.text(l, "mediaType");
            if (type.isEmpty()) {
                type = null;
            }
            if (type != null && FOREIGN_LAYER_TYPES.contains(type) && !blobs.exists(d)) {
                layers.add(new FoundImage.FoundLayer(blobs.where(d), type, null, null));
                continue;
            }
            if (type != null && !LAYER_TYPES.contains(type) && !FOREIGN_LAYER_TYPES.contains(type)) {
                problems.add(new Problem(blobs.where(d), "unknown layer media type " + type + " (" + where + " layers["
                        + i + "]); read as a layer by its magic bytes"));
            }
            LayerDigests.Hashes h = blobs.hashes(d);
            if (!h.digest().equals(d)) {
                throw new UnreadableItemException(blobs.where(d), "blob hashes to " + h.digest() + ", not its name");
            }
            layers.add(new FoundImage.FoundLayer(blobs.where(d), type, h, null));
        }
        return Optional.of(new FoundImage(blobs.where(cfgDigest), config, name.isEmpty() ? List.of() : List.of(name), null, layers));
    }

    static void checkDigest(byte[] bytes, Digest want, String where) {
        if (!want.algorithm().equals("sha256")) {
            return;
        }
        Digest got = Digest.sha256Of(bytes);
        if (!got.equals(want)) {
            throw new UnreadableItemException(where, "content hashes to " + got + ", not " + want);
        }
    }
}
