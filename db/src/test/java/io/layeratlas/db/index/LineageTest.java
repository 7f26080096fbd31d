package io.layeratlas.db.index;

import io.layeratlas.db.Database;
import io.layeratlas.embedded.EmbeddedPostgresServer;
import io.layeratlas.events.ChainIds;
import io.layeratlas.events.Digest;
import io.layeratlas.events.HostSnapshot;
import io.layeratlas.events.ImageConfigEvent;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.LayerAtlasEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The inferred base when several known images share the same stack (a classic builder's untagged intermediates,
 * a legacy host's copies): the longest prefix first, then an image tagged on some host that is not retired, then
 * the smallest image ID; always a function of the current state, whatever the arrival order.
 */
class LineageTest {
    private static EmbeddedPostgresServer postgres;
    private static final AtomicInteger databases = new AtomicInteger();

    private Database db;
    private IndexWriter writer;

    @BeforeAll
    static void startPostgres() {
        postgres = EmbeddedPostgresServer.startTemporary();
    }

    @AfterAll
    static void stopPostgres() {
        postgres.close();
    }

    @BeforeEach
    void freshDatabase() {
        db = Database.migrateAndOpen(postgres.createDatabase("l" + databases.incrementAndGet()), postgres.user(), "", 3);
        writer = new IndexWriter(db);
    }

    @AfterEach
    void closeDatabase() {
        db.close();
    }

    private void reopen() {
        db.close();
        freshDatabase();
    }

    /** Applies the events as one batch, in one transaction. */
    private void apply(LayerAtlasEvent... events) {
        IndexBatch batch = new IndexBatch();
        for (int i = 0; i < events.length; i++) {
            batch.add(i, events[i]);
        }
        writer.inTransaction(tx -> tx.apply(batch));
    }

    /** The image's inferred base (image ID), or null. */
    private String baseOf(ImageRecord image) {
        String prefix = image.id() + " inferred-base ";
        return IndexDump.of(db.dataSource(), "image_parents").get("image_parents").stream()
                .filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length())).findFirst().orElse(null);
    }

    private static List<Digest> layers(String name, int n) {
        List<Digest> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(Digest.sha256Of("layer " + name + " " + i));
        }
        return out;
    }

    private static ImageRecord image(String name, List<Digest> diffIds, String... tags) {
        return new ImageRecord(Digest.sha256Of("image " + name), List.of(tags), List.of(), null, SyntheticFleet.T0,
                diffIds.stream().mapToLong(SyntheticFleet::size).sum(), diffIds, ChainIds.of(diffIds), List.of(), -1, -1, -1,
                "linux", "amd64");
    }

    private static ImageRecord tagged(ImageRecord image, String... tags) {
        return new ImageRecord(image.id(), List.of(tags), image.repoDigests(), image.parent(), image.created(), image.size(),
                image.diffIds(), image.chainIds(), image.history(), image.containers(), image.sharedSize(), image.uniqueSize(),
                image.os(), image.architecture());
    }

    private static ImageConfigEvent config(ImageRecord image) {
        return ImageConfigEvent.of(SyntheticFleet.configJson(0, image.diffIds()).replace("\"run0\"", "\"" + image.id() + "\""), image);
    }

    private static List<Digest> concat(List<Digest> a, List<Digest> b) {
        List<Digest> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    /** Four images with the same 3-layer stack, in image ID order, and an image built on that stack. */
    private record SameStack(List<ImageRecord> twins, ImageRecord child) {
    }

    private static SameStack sameStack() {
        List<Digest> stack = layers("api", 3);
        List<ImageRecord> twins = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            twins.add(image("twin " + i, stack));
        }
        twins.sort(Comparator.comparing(ImageRecord::id));
        return new SameStack(twins, image("worker", concat(stack, layers("worker", 1)), "shop/worker:1.0"));
    }

    @Test
    void of_several_images_with_the_same_prefix_stack_the_tagged_one_is_the_base() {
        SameStack s = sameStack();
        ImageRecord api = tagged(s.twins().get(2), "shop/api:1.0");
        // A classic builder's intermediates (untagged) on one host, the tagged image and the child on another.
        apply(SyntheticFleet.snapshot("build-01", 1, List.of(s.twins().get(0), s.twins().get(1), s.twins().get(3))),
                SyntheticFleet.snapshot("web-01", 1, List.of(api, s.child())));
        assertThat(baseOf(s.child())).isEqualTo(api.id().toString());
        // The twins themselves are not each other's base: only a proper prefix counts.
        assertThat(s.twins()).allSatisfy(t -> assertThat(baseOf(t)).isNull());
    }

    @Test
    void the_base_follows_the_tag_when_it_moves_and_falls_back_to_the_smallest_id_without_tags() {
        SameStack s = sameStack();
        List<ImageRecord> t = s.twins();
        apply(SyntheticFleet.snapshot("build-01", 1, List.of(t.get(0), t.get(1))),
                SyntheticFleet.snapshot("web-01", 1, List.of(t.get(2), tagged(t.get(3), "shop/api:1.0"), s.child())));
        assertThat(baseOf(s.child())).isEqualTo(t.get(3).id().toString());

        // docker tag shop/api:1.0 <twin 2>: the tag moves on web-01.
        apply(SyntheticFleet.snapshot("web-01", 2, List.of(tagged(t.get(2), "shop/api:1.0"), t.get(3), s.child())));
        assertThat(baseOf(s.child())).isEqualTo(t.get(2).id().toString());

        // The tagged image leaves web-01 and no other host tags one of them: the smallest image ID.
        apply(SyntheticFleet.snapshot("web-01", 3, List.of(t.get(3), s.child())));
        assertThat(baseOf(s.child())).isEqualTo(t.get(0).id().toString());

        // A tag arrives on a host that already held the image untagged.
        apply(SyntheticFleet.snapshot("build-01", 2, List.of(t.get(0), tagged(t.get(1), "shop/api:rc"))));
        assertThat(baseOf(s.child())).isEqualTo(t.get(1).id().toString());
        assertThat(writer.recount()).isZero();
    }

    @Test
    void when_the_tagged_ones_host_is_retired_the_base_falls_back_and_returns_with_the_host() {
        SameStack s = sameStack();
        List<ImageRecord> t = s.twins();
        apply(SyntheticFleet.snapshot("legacy-01", 1, List.of(t.get(0), t.get(1), t.get(2))),
                SyntheticFleet.snapshot("web-01", 1, List.of(tagged(t.get(3), "shop/api:1.0"), s.child())),
                SyntheticFleet.snapshot("web-02", 1, List.of(tagged(t.get(2), "shop/api:old"))));
        assertThat(baseOf(s.child())).isEqualTo(t.get(2).id().toString());

        assertThat(writer.retireHost("web-02")).isTrue();
        assertThat(baseOf(s.child())).isEqualTo(t.get(3).id().toString());
        assertThat(writer.retireHost("web-01")).isTrue();
        // The child left with web-01 but stays a known image: its base is the smallest untagged twin now.
        assertThat(baseOf(s.child())).isEqualTo(t.get(0).id().toString());

        // A newer snapshot brings web-02 back.
        apply(SyntheticFleet.snapshot("web-02", 2, List.of(tagged(t.get(2), "shop/api:old"))));
        assertThat(baseOf(s.child())).isEqualTo(t.get(2).id().toString());        assertThat(writer.recount()).as("counters and image tags a recount corrected").isZero();
    }

    @Test
    void an_image_tagged_on_two_hosts_stays_the_base_when_one_of_them_drops_the_tag_or_is_retired() {
        SameStack s = sameStack();
        List<ImageRecord> t = s.twins();
        apply(SyntheticFleet.snapshot("a", 1, List.of(t.get(0), tagged(t.get(3), "shop/api:1.0"), s.child())),
                SyntheticFleet.snapshot("b", 1, List.of(tagged(t.get(3), "shop/api:1.0"))),
                SyntheticFleet.snapshot("c", 1, List.of(tagged(t.get(3), "shop/api:1.0"))));
        assertThat(baseOf(s.child())).isEqualTo(t.get(3).id().toString());
        apply(SyntheticFleet.snapshot("a", 2, List.of(t.get(0), t.get(3), s.child())));
        assertThat(baseOf(s.child())).isEqualTo(t.get(3).id().toString());
        writer.retireHost("b");
        assertThat(baseOf(s.child())).isEqualTo(t.get(3).id().toString());
        writer.retireHost("c");
        assertThat(baseOf(s.child())).isEqualTo(t.get(0).id().toString());        assertThat(writer.recount()).as("counters and image tags a recount corrected").isZero();
    }

    @Test
    void the_longest_prefix_still_wins_over_a_tagged_shorter_one() {
        List<Digest> busy = layers("busy", 1);
        ImageRecord busyTagged = image("busy", busy, "base/busy:1.36");
        ImageRecord intermediate = image("intermediate", concat(busy, layers("step", 1)));
        ImageRecord app = image("app", concat(intermediate.diffIds(), layers("app", 1)), "shop/app:1");
        apply(SyntheticFleet.snapshot("build-01", 1, List.of(busyTagged, intermediate, app)));
        assertThat(baseOf(app)).isEqualTo(intermediate.id().toString());
        assertThat(baseOf(intermediate)).isEqualTo(busyTagged.id().toString());
    }

    @Test
    void arrival_order_does_not_matter() {
        SameStack s = sameStack();
        List<ImageRecord> t = s.twins();
        ImageRecord grandchild = image("grandchild", concat(s.child().diffIds(), layers("gc", 2)), "shop/gc:1");
        List<List<LayerAtlasEvent>> streams = List.of(
                List.of(SyntheticFleet.snapshot("build-01", 1, List.of(t.get(0), t.get(1), t.get(3))),
                        SyntheticFleet.snapshot("build-01", 2, List.of(t.get(0), tagged(t.get(1), "shop/api:1.0"), t.get(3)))),
                List.of(SyntheticFleet.snapshot("web-01", 1, List.of(s.child(), tagged(t.get(2), "shop/api:1.0"))),
                        SyntheticFleet.snapshot("web-01", 2, List.of(s.child(), grandchild, t.get(2)))),
                List.of(config(t.get(3)), config(s.child()), config(grandchild), config(t.get(0))));

        Map<String, List<String>> first = null;
        Random random = new Random(11);
        for (int round = 0; round < 4; round++) {
            if (round > 0) {
                reopen();
            }
            // Interleave the streams (each one's own order kept, as a partition keeps it) differently each round.
            List<LayerAtlasEvent> events = interleave(streams, round == 0 ? null : random);
            if (round == 1) {
                events = interleave(List.of(streams.get(2), streams.get(1), streams.get(0)), null);
            }
            for (LayerAtlasEvent e : events) {
                apply(e);
            }
            Map<String, List<String>> dump = IndexDump.of(db.dataSource());
            if (first == null) {
                first = dump;
                assertThat(baseOf(s.child())).isEqualTo(t.get(1).id().toString());
                assertThat(baseOf(grandchild)).isEqualTo(s.child().id().toString());
            } else {
                assertThat(dump).as("round " + round).isEqualTo(first);
            }
        }
    }

    private static List<LayerAtlasEvent> interleave(List<List<LayerAtlasEvent>> streams, Random random) {
        List<LayerAtlasEvent> out = new ArrayList<>();
        int[] next = new int[streams.size()];
        int left = streams.stream().mapToInt(List::size).sum();
        while (left > 0) {
            for (int i = 0; i < streams.size(); i++) {
                if (next[i] < streams.get(i).size() && (random == null || random.nextBoolean())) {
                    if (random == null) {
                        while (next[i] < streams.get(i).size()) {
                            out.add(streams.get(i).get(next[i]++));
                            left--;
                        }
                    } else {
                        out.add(streams.get(i).get(next[i]++));
                        left--;
                    }
                }
            }
        }
        return out;
    }

    /**
     * Random snapshots, retirements and configs over images that share stacks; after every step the inferred
     * bases must equal what the current state alone implies (computed here in plain Java).
     */
    @Test
    void the_inferred_bases_always_equal_what_the_current_state_implies() {
        Random random = new Random(42);
        List<List<Digest>> stacks = new ArrayList<>();
        List<ImageRecord> pool = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            List<Digest> stack;
            if (i < 3 || random.nextInt(5) == 0) {
                stack = layers("root " + i, 1 + random.nextInt(2));
            } else if (random.nextInt(3) == 0) {
                stack = stacks.get(random.nextInt(stacks.size()));   // a twin: same stack, another image
            } else {
                stack = concat(stacks.get(random.nextInt(stacks.size())), layers("top " + i, 1 + random.nextInt(2)));
            }
            stacks.add(stack);
            pool.add(image("pool " + i, stack));
        }
        String[] hosts = {"h0", "h1", "h2", "h3"};
        Map<String, Long> generation = new HashMap<>();
        Map<String, Map<Digest, ImageRecord>> held = new TreeMap<>();   // host -> what it holds now (with tags)
        Map<Digest, List<Digest>> known = new HashMap<>();               // images whose stack is known
        for (int step = 0; step < 40; step++) {
            String host = hosts[random.nextInt(hosts.length)];
            int what = random.nextInt(10);
            if (what == 0) {
                writer.retireHost(host);
                held.remove(host);
            } else if (what == 1) {
                ImageRecord image = pool.get(random.nextInt(pool.size()));
                apply(config(image));
                known.putIfAbsent(image.id(), image.chainIds());
            } else {
                Map<Digest, ImageRecord> now = new LinkedHashMap<>();
                for (int n = 1 + random.nextInt(6); n > 0; n--) {
                    ImageRecord image = pool.get(random.nextInt(pool.size()));
                    now.put(image.id(), random.nextInt(3) == 0 ? tagged(image, "repo/" + step + ":" + n) : image);
                    known.putIfAbsent(image.id(), image.chainIds());
                }
                long gen = generation.merge(host, 1L, Long::sum);
                apply(SyntheticFleet.snapshot(host, gen, new ArrayList<>(now.values())));
                held.put(host, now);
            }
            assertThat(inferredBases()).as("step " + step).isEqualTo(expectedBases(known, held));
        }
        assertThat(writer.recount()).isZero();
    }

    private List<String> inferredBases() {
        return IndexDump.of(db.dataSource(), "image_parents").get("image_parents").stream()
                .filter(l -> l.contains(" inferred-base ")).toList();
    }

    private static List<String> expectedBases(Map<Digest, List<Digest>> known, Map<String, Map<Digest, ImageRecord>> held) {
        java.util.Set<Digest> taggedSomewhere = new java.util.HashSet<>();
        held.values().forEach(m -> m.values().stream().filter(i -> !i.repoTags().isEmpty()).forEach(i -> taggedSomewhere.add(i.id())));
        List<String> out = new ArrayList<>();
        known.forEach((x, stack) -> known.entrySet().stream()
                .filter(b -> b.getValue().size() < stack.size() && stack.subList(0, b.getValue().size()).equals(b.getValue()))
                .min(Comparator.<Map.Entry<Digest, List<Digest>>>comparingInt(b -> -b.getValue().size())
                        .thenComparing(b -> taggedSomewhere.contains(b.getKey()) ? 0 : 1)
                        .thenComparing(b -> b.getKey().toString()))
                .ifPresent(b -> out.add(x + " inferred-base " + b.getKey())));
        out.sort(Comparator.naturalOrder());
        return out;
    }
}
