package io.layeratlas.dashboard.web;

import io.layeratlas.db.query.Match;

/** Addresses of pages; every path segment encoded. Used by handlers and templates. */
public final class Links {
    private Links() {
    }

    public static String of(Match m) {
        return switch (m.kind()) {
            case LAYER -> layer(m.key());
            case IMAGE -> image(m.key());
            case HOST -> host(m.key());
            case PACKAGE -> packages(m.key());
        };
    }

    public static String layer(String digest) {
        return "/layers/" + Fmt.path(digest);
    }

    public static String image(String imageId) {
        return "/images/" + Fmt.path(imageId);
    }

    public static String host(String hostId) {
        return "/hosts/" + Fmt.path(hostId);
    }

    /** The package page of a question ({@code openssl<3.0.8}). */
    public static String packages(String question) {
        return "/packages?q=" + Fmt.param(question);
    }

    /** The page of a repository or {@code repo:tag}; its slashes are encoded ({@code %2F}) like any other character. */
    public static String tag(String name) {
        return "/tags/" + Fmt.path(name);
    }

    public static String search(String q) {
        return "/search?q=" + Fmt.param(q);
    }
}
