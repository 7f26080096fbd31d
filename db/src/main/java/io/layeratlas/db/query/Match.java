package io.layeratlas.db.query;

import java.util.Objects;

/**
 * One thing a search term or digest prefix matched.
 *
 * @param kind  what it is
 * @param what  how it matched, in the vocabulary of the design: "diff ID", "chain ID", "compressed digest",
 *              "image ID", "v1 layer ID", "repo tag", "repo digest", "host ID"
 * @param key   the identifier of the page it leads to: a diff or chain ID for layers, an image ID, a host ID
 * @param label a human hint (tags of an image, the digest that matched), possibly empty; came from hosts: escape it
 */
public record Match(Kind kind, String what, String key, String label) {
    public Match {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(what, "what");
        Objects.requireNonNull(key, "key");
        label = label == null ? "" : label;
    }

    /** The kinds of page a search can land on; a {@code PACKAGE}'s key is the package question. */
    public enum Kind { LAYER, IMAGE, HOST, PACKAGE }
}
