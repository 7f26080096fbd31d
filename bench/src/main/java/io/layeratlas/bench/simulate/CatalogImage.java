package io.layeratlas.bench.simulate;

import io.layeratlas.events.Digest;
import io.layeratlas.events.ImageRecord;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One image of the simulated catalog. Immutable; {@link #layers()} returns the array itself, do not change it.
 *
 * @param index          position in {@link ImageCatalog#image(int)}
 * @param family         the family (base, runtime or application) it is a version of
 * @param version        version within the family, from 0
 * @param config         the config JSON exactly as Docker would store it; {@code sha256(config) == record.id()}
 * @param layers         indices of its layers in {@link ImageCatalog#layer(int)}, bottom first
 * @param parentImage    index of the image it was built FROM, or -1 for a base
 * @param repository     repository name, e.g. {@code registry.example.invalid/shop/svc-12}
 * @param tag            the tag it is pulled by
 * @param manifestDigest digest of its (Docker schema 2) manifest: the repo digest
 * @param classicBuilder true when written by the classic builder (container_config, {@code #(nop)}), false for BuildKit
 * @param record         the image as a snapshot carries it (tags, repo digests, diff/chain IDs, history with sizes)
 */
public record CatalogImage(int index, int family, int version, String config, int[] layers, int parentImage,
                           String repository, String tag, Digest manifestDigest, boolean classicBuilder,
                           ImageRecord record) {
    public CatalogImage {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(layers, "layers");
        Objects.requireNonNull(record, "record");
    }

    /** The image ID: sha256 of the config bytes. */
    public Digest id() {
        return record.id();
    }

    public byte[] configBytes() {
        return config.getBytes(StandardCharsets.UTF_8);
    }

    /** {@code repository:tag}. */
    public String reference() {
        return repository + ":" + tag;
    }

    /** {@code repository@sha256:…}. */
    public String repoDigest() {
        return repository + "@" + manifestDigest;
    }
}
