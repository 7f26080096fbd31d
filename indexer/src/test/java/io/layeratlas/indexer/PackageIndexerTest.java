package io.layeratlas.indexer;

import io.layeratlas.db.Database;
import io.layeratlas.db.index.IndexDump;
import io.layeratlas.db.query.Freshness;
import io.layeratlas.db.query.PackageQuery;
import io.layeratlas.db.query.PageRequest;
import io.layeratlas.db.testing.DebianLayers;
import io.layeratlas.events.Digest;
import io.layeratlas.events.EventCodec;
import io.layeratlas.events.ImageConfigEvent;
import io.layeratlas.events.InstalledPackage;
import io.layeratlas.events.Topics;
import io.layeratlas.topics.TopicSetup;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The package topic through the real indexer (real Kafka, real PostgreSQL) with real Debian layers: two root file
 * systems made by mmdebstrap (bookworm and trixie, minbase with openssl), their packages as {@code dpkg-query} lists
 * them. Expected values come from those tools: which packages each image has (dpkg-query of the layer whose status file
 * is topmost, by the contract's rule) and which versions a range matches ({@code dpkg --compare-versions}).
 */
class PackageIndexerTest extends IndexerTestBase {

    @Test
    void real_debian_layers_give_each_image_its_topmost_status_file_and_a_range_finds_exactly_the_hosts(@TempDir Path work)
            throws Exception {
        DebianLayers.Fleet fleet = DebianLayers.fleet(work);
        DebianLayers.Layer bookworm = fleet.bookworm();
        Digest app = fleet.app();
        Map<String, ImageConfigEvent> images = fleet.images();

        String prefix = unique("packages") + ".";
        TopicSetup.ensureTopics(kafka.bootstrapServers(), Map.of(), 2, prefix);
        try (TestKafka producer = new TestKafka(kafka.bootstrapServers(), prefix);
             Database live = database(unique("packages"));
             Database replay = database(unique("packages"))) {
            producer.sendAll(fleet.events());
            // A bad record on the topic is dead-lettered with its reason; the rest goes on.
            producer.sendRaw(Topics.LAYER_PACKAGES, app.toString(), new String(EventCodec.encode(bookworm.event()),
                    StandardCharsets.UTF_8).replace(bookworm.diffId().toString(), app.toString())
                    .replace("\"state\":\"present\"", "\"state\":\"removed\"").getBytes(StandardCharsets.UTF_8));
            producer.flush();
            try (Indexer indexer = new Indexer(config(prefix, unique("g")), live, new SimpleMeterRegistry())) {
                indexer.start();
                awaitCaughtUp(indexer);
            }

            List<String> expected = new ArrayList<>();
            images.forEach((tag, image) -> {
                DebianLayers.Layer top = fleet.topStatus().get(tag);
                int position = image.image().diffIds().lastIndexOf(top.diffId());
                for (InstalledPackage p : top.packages()) {
                    expected.add(image.imageId() + " dpkg " + p.name() + "=" + p.version() + " var/lib/dpkg/status @"
                            + position + " " + top.diffId());
                }
            });
            assertThat(IndexDump.of(live.dataSource(), "image_packages").get("image_packages"))
                    .containsExactlyInAnyOrderElementsOf(expected);

            PackageQuery query = new PackageQuery(live.dataSource(),
                    new Freshness.Policy(Clock.fixed(DebianLayers.READ_AT, ZoneOffset.UTC), Duration.ofDays(3650)));
            for (String range : List.of("<3.1", ">=3.1", "<<", "=")) {
                assertRange(query, range, fleet);
            }

            List<ConsumerRecord<byte[], byte[]>> dead = producer.readAll(prefix + Topics.DEAD_LETTER);
            assertThat(dead).hasSize(1);
            assertThat(new String(dead.get(0).headers().lastHeader(Indexer.HEADER_REASON).value(), StandardCharsets.UTF_8))
                    .contains("removed package database var/lib/dpkg/status lists");

            // Replaying every topic into an empty database gives the same tables.
            try (Indexer indexer = new Indexer(config(prefix, unique("g")), replay, new SimpleMeterRegistry())) {
                indexer.start();
                awaitCaughtUp(indexer);
            }
            String[] sections = {"package_layers", "package_databases", "image_packages"};
            assertThat(IndexDump.of(replay.dataSource(), sections)).isEqualTo(IndexDump.of(live.dataSource(), sections));
        }
    }

    /**
     * A range over openssl as an operator types it, checked against dpkg's own comparison: {@code "<<"} and {@code "="}
     * stand for "below bookworm's version" (nothing) and "exactly trixie's".
     */
    private static void assertRange(PackageQuery query, String range, DebianLayers.Fleet fleet) throws Exception {
        String op;
        String version;
        switch (range) {
            case "<<" -> {
                op = "lt";
                version = fleet.bookworm().version("openssl");
            }
            case "=" -> {
                op = "eq";
                version = fleet.trixie().version("openssl");
            }
            default -> {
                op = range.startsWith(">=") ? "ge" : "lt";
                version = range.replaceFirst("^[<>=]+", "");
            }
        }
        String question = "openssl" + (op.equals("lt") ? "<" : op.equals("ge") ? ">=" : "=") + version;
        Set<String> wantImages = fleet.imagesWhere("openssl", op, version);
        Set<String> wantHosts = fleet.hostsHolding(wantImages);
        PackageQuery.PackageSearch answer = query.search(question, PageRequest.first(), PageRequest.first());
        assertThat(answer.images().stream().map(PackageQuery.ImageHit::imageId).toList()).as(question)
                .containsExactlyElementsOf(wantImages);
        assertThat(answer.hosts().stream().map(h -> h.host().hostId()).toList()).as(question)
                .containsExactlyElementsOf(wantHosts);
        assertThat(answer.hostCount()).isEqualTo(wantHosts.size());
        List<String> exported = new ArrayList<>();
        query.export(question, r -> exported.add(r.hostId() + " " + r.imageId() + " " + r.name()));
        assertThat(exported.stream().map(l -> l.split(" ")[0]).distinct().toList()).as(question + " export")
                .containsExactlyElementsOf(wantHosts);
    }
}
