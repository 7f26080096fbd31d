package io.layeratlas.db.query;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Many questions at once: a list of layer digests (diff or chain IDs), image IDs, {@code repo:tag}s or repositories,
 * answered as one list of every host holding any of them, each host with the items it matched and the images
 * through which it holds them: one remediation list for a whole advisory. Each item is answered as the single
 * question would be ({@link LayerQuery}, {@link ImageQuery}, {@link TagQuery}); an item that matches nothing or is
 * malformed is reported in its own line and the others are still answered. Thread-safe.
 */
public final class BulkQuery {
    /** Most items in one question. */
    public static final int MAX_ITEMS = 500;
    private static final Pattern SEPARATORS = Pattern.compile("[\\s,;]+");

    private final LayerQuery layers;
    private final ImageQuery images;
    private final TagQuery tags;

    public BulkQuery(LayerQuery layers, ImageQuery images, TagQuery tags) {
        this.layers = Objects.requireNonNull(layers, "layers");
        this.images = Objects.requireNonNull(images, "images");
        this.tags = Objects.requireNonNull(tags, "tags");
    }

    /**
     * How one item was understood.
     *
     * @param kind      {@code layer}, {@code image}, {@code tag}, {@code repository}; null when it matched nothing
     * @param matched   the full digests or image IDs it stands for
     * @param hostCount hosts holding it
     * @param error     why it matched nothing, or null
     */
    public record Item(String item, String kind, List<String> matched, int hostCount, String error) {
    }

    /** A host holding at least one item: which items, through which images (IDs) and tags. */
    public record HostHit(HostStatus host, List<String> items, List<String> imageIds, List<String> repoTags) {
    }

    /** The combined answer: every item's line, and every host holding any item, by host ID. */
    public record BulkAnswer(List<Item> items, List<HostHit> hosts) {
    }

    /** Splits pasted or uploaded text into items: whitespace, commas or semicolons separate; duplicates dropped. */
    public static List<String> items(String text) {
        if (text == null) {
            return List.of();
        }
        Set<String> out = new LinkedHashSet<>();
        for (String s : SEPARATORS.split(text.strip())) {
            if (!s.isEmpty() && !s.startsWith("#")) {
                out.add(s);
            }
        }
        return List.copyOf(out);
    }

    /**
     * Answers every item.
     *
     * @throws QueryException.InvalidParameter when there is no item or more than {@link #MAX_ITEMS}
     */
    public BulkAnswer answer(List<String> items) {
        if (items.isEmpty()) {
            throw new QueryException.InvalidParameter("give at least one digest, image ID or repo:tag, one per line");
        }
        if (items.size() > MAX_ITEMS) {
            throw new QueryException.InvalidParameter("at most " + MAX_ITEMS + " items at once, got " + items.size());
        }
        Map<String, Acc> hosts = new TreeMap<>();
        List<Item> lines = new ArrayList<>();
        for (String item : items) {
            Map<String, Acc> mine = new LinkedHashMap<>();
            java.util.function.Function<HostStatus, Acc> acc = h -> mine.computeIfAbsent(h.hostId(),
                    k -> hosts.computeIfAbsent(k, x -> new Acc(h, new LinkedHashSet<>(), new LinkedHashSet<>(), new LinkedHashSet<>())));
            try {
                String kind;
                List<String> matched = new ArrayList<>();
                if (TagQuery.isDigest(item)) {
                    LayerQuery.LayerRef ref = layerOrNull(item);
                    if (ref != null) {
                        kind = "layer";
                        matched.add(ref.digest());
                        layers.exportHosts(ref, h -> {
                            Acc a = acc.apply(h.host());
                            h.images().forEach(i -> {
                                a.imageIds().add(i.imageId());
                                a.tags().addAll(i.repoTags());
                            });
                        });
                    } else {
                        kind = "image";
                        String imageId = images.resolve(item);
                        matched.add(imageId);
                        imageHosts(imageId, acc);
                    }
                } else {
                    TagQuery.TagAnswer answer = tags.byName(item);
                    kind = answer.repository() ? "repository" : "tag";
                    for (TagQuery.NamedImage image : answer.images()) {
                        matched.add(image.imageId());
                        imageHosts(image.imageId(), acc);
                    }
                }
                mine.values().forEach(a -> a.items().add(item));
                lines.add(new Item(item, kind, matched, mine.size(), null));
            } catch (QueryException.InvalidParameter | QueryException.NotFound | QueryException.Ambiguous e) {
                lines.add(new Item(item, null, List.of(), 0, e.getMessage()));
            }
        }
        return new BulkAnswer(lines, hosts.values().stream().filter(a -> !a.items().isEmpty())
                .map(a -> new HostHit(a.host(), List.copyOf(a.items()), List.copyOf(a.imageIds()), List.copyOf(a.tags())))
                .toList());
    }

    /** One host's part of the answer while it is gathered. */
    private record Acc(HostStatus host, Set<String> items, Set<String> imageIds, Set<String> tags) {
    }

    private LayerQuery.LayerRef layerOrNull(String item) {
        try {
            return layers.resolve(item);
        } catch (QueryException.NotFound e) {
            return null;
        }
    }

    private void imageHosts(String imageId, java.util.function.Function<HostStatus, Acc> acc) {
        PageRequest page = new PageRequest(null, PageRequest.MAX_LIMIT);
        while (true) {
            ImageQuery.ImageDetail d = images.detail(imageId, page);
            for (ImageQuery.OnHost h : d.hosts()) {
                Acc a = acc.apply(h.host());
                a.imageIds().add(imageId);
                a.tags().addAll(h.repoTags());
            }
            if (d.hostsPage().next() == null) {
                return;
            }
            page = PageRequest.parse(d.hostsPage().next(), Integer.toString(PageRequest.MAX_LIMIT));
        }
    }
}
