package io.layeratlas.events;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EventCodecTest {
    static final Digest DIFF = Digest.sha256Of("layer");
    static final Digest IMAGE = Digest.sha256Of("{}");

    @Test
    void a_snapshot_survives_a_round_trip_through_json() {
        ImageRecord image = new ImageRecord(IMAGE, List.of("shop/api:1.0"), List.of(), null,
                Instant.parse("2026-11-29T07:49:08.123456789Z"), 5, List.of(DIFF), null, List.of(), 0, -1, -1, "linux", "amd64");
        HostSnapshot snap = new HostSnapshot(LayerAtlasEvent.SCHEMA_VERSION, "web-01", 7, 0, 1, Instant.EPOCH, "0.1.0",
                "data-root", "/var/lib/docker", List.of(image), List.of(LayerRecord.of(DIFF, DIFF, null, 5)), List.of());
        byte[] json = EventCodec.encode(snap);
        assertThat(new String(json, StandardCharsets.UTF_8)).contains("\"type\":\"host-snapshot\"", "\"schemaVersion\":1",
                "\"created\":\"2026-11-29T07:49:08.123456789Z\"", "\"diffIds\":[\"" + DIFF + "\"]");
        assertThat(EventCodec.decode(json)).isEqualTo(snap);
    }

    @Test
    void times_are_written_as_docker_image_inspect_prints_them() throws Exception {
        // Go's time.RFC3339Nano, as in truth/build-01/image-inspect.json ("Created": "…T07:25:04.07529384Z").
        assertThat(EventCodec.rfc3339(Instant.parse("2026-11-29T07:25:04.075293840Z"))).isEqualTo("2026-11-29T07:25:04.07529384Z");
        assertThat(EventCodec.rfc3339(Instant.parse("1970-01-01T00:00:00Z"))).isEqualTo("1970-01-01T00:00:00Z");
        assertThat(EventCodec.rfc3339(Instant.parse("0001-01-01T00:00:00Z"))).isEqualTo("0001-01-01T00:00:00Z");
        assertThat(EventCodec.rfc3339(Instant.parse("2020-02-03T04:05:06.5Z"))).isEqualTo("2020-02-03T04:05:06.5Z");
        assertThat(EventCodec.newMapper().readValue("\"2026-11-29T09:25:04.07529384+02:00\"", Instant.class))
                .isEqualTo(Instant.parse("2026-11-29T07:25:04.075293840Z"));
    }

    @Test
    void unknown_schema_versions_and_garbage_are_refused_with_a_reason() {
        assertThatThrownBy(() -> EventCodec.decode("{\"type\":\"heartbeat\",\"schemaVersion\":99}".getBytes()))
                .isInstanceOf(UndecodableEventException.class).hasMessageContaining("unknown schemaVersion 99");
        assertThatThrownBy(() -> EventCodec.decode("{not json".getBytes()))
                .isInstanceOf(UndecodableEventException.class).hasMessageContaining("not JSON");
        assertThatThrownBy(() -> EventCodec.decode(
                "{\"type\":\"heartbeat\",\"schemaVersion\":1,\"hostId\":\"h\",\"at\":\"2026-01-01T00:00:00Z\",\"intervalSeconds\":0}".getBytes()))
                .isInstanceOf(UndecodableEventException.class).hasMessageContaining("intervalSeconds must be positive");
    }

    @Test
    void a_snapshot_without_containers_or_host_keeps_the_holdings_digest_it_had_before_issue_16() {
        // printf '%s' '{"agentVersion":"0.1.0",...,"problems":[{"path":"p","reason":"r"}]}' | sha256sum
        String before = "{\"type\":\"host-snapshot\",\"schemaVersion\":1,\"hostId\":\"web-01\",\"generation\":7,"
                + "\"chunk\":0,\"chunkCount\":1,\"scannedAt\":\"2026-11-29T08:30:36Z\",\"agentVersion\":\"0.1.0\","
                + "\"sourceKind\":\"data-root\",\"source\":\"/var/lib/docker\",\"images\":[],\"layers\":[],"
                + "\"problems\":[{\"path\":\"p\",\"reason\":\"r\"}]}";
        HostSnapshot old = (HostSnapshot) EventCodec.decode(before.getBytes(StandardCharsets.UTF_8));
        assertThat(old.containers()).isEmpty();
        assertThat(old.host()).isNull();
        assertThat(Holdings.of(old).toString())
                .isEqualTo("sha256:0fa5ae546cb942d66db2f99a66f8d3907bb48c4ad25969848771fcf7b27c232f");

        HostSnapshot withContainer = new HostSnapshot(1, "web-01", 7, 0, 1, old.scannedAt(), "0.1.0", "data-root",
                "/var/lib/docker", List.of(), List.of(), old.problems(),
                List.of(new ContainerRecord("c1", "web", "running", null, null, "busybox")),
                new HostMetadata(null, "overlay2", null, null, java.util.Map.of("env", "prod")));
        HostSnapshot back = (HostSnapshot) EventCodec.decode(EventCodec.encode(withContainer));
        assertThat(back).isEqualTo(withContainer);
        assertThat(Holdings.of(back)).isNotEqualTo(Holdings.of(old));
        assertThat(Holdings.of(back.host() == null ? old : new HostSnapshot(1, "web-01", 7, 0, 1, old.scannedAt(), "0.1.0",
                "data-root", "/var/lib/docker", List.of(), List.of(), old.problems(), back.containers(), null)))
                .isNotEqualTo(Holdings.of(back)); // labels are part of what a snapshot says
    }
}
