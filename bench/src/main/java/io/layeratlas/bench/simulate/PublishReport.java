package io.layeratlas.bench.simulate;

import java.time.Duration;

/**
 * What a publish sent. Counts are records, sizes bytes of record values.
 *
 * @param snapshots      complete host snapshots (one per host per round)
 * @param chunks         {@code host-layers} records (a snapshot is one or more chunks)
 * @param configs        {@code image-configs} records
 * @param layerPackages  {@code layer-packages} records (one per diff ID a host newly holds, or per fleet)
 * @param heartbeats     {@code heartbeats} records
 * @param hostLayerLinks layer records in all snapshots: host↔layer links the indexer must apply
 * @param hostImageLinks image records in all snapshots
 * @param bytes          bytes of all record values
 * @param largestValue   bytes of the largest record value
 * @param elapsed        wall time from the first send to the acknowledgement of the last
 */
public record PublishReport(long snapshots, long chunks, long configs, long layerPackages, long heartbeats,
                            long hostLayerLinks, long hostImageLinks, long bytes, long largestValue, Duration elapsed) {
    public static final PublishReport EMPTY = new PublishReport(0, 0, 0, 0, 0, 0, 0, 0, 0, Duration.ZERO);

    public PublishReport plus(PublishReport o) {
        return new PublishReport(snapshots + o.snapshots, chunks + o.chunks, configs + o.configs,
                layerPackages + o.layerPackages,
                heartbeats + o.heartbeats, hostLayerLinks + o.hostLayerLinks, hostImageLinks + o.hostImageLinks,
                bytes + o.bytes, Math.max(largestValue, o.largestValue), elapsed.plus(o.elapsed));
    }

    /** Total records sent. */
    public long records() {
        return chunks + configs + layerPackages + heartbeats;
    }
}
