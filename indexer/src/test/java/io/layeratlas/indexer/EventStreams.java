package io.layeratlas.indexer;

import io.layeratlas.db.index.SyntheticFleet;
import io.layeratlas.events.HostSnapshot;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.LayerAtlasEvent;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** A long, realistic stream of events: hosts publishing growing generations (some chunked, some resent), configs, heartbeats. */
final class EventStreams {
    private EventStreams() {
    }

    static List<LayerAtlasEvent> stream(long seed, int hosts, int generations, int images) {
        SyntheticFleet fleet = new SyntheticFleet(seed, images);
        Random random = new Random(seed);
        List<LayerAtlasEvent> events = new ArrayList<>();
        List<ImageRecord> configsToSend = new ArrayList<>(fleet.images());
        java.util.Collections.shuffle(configsToSend, random);
        for (int g = 1; g <= generations; g++) {
            for (int h = 0; h < hosts; h++) {
                String host = "host-" + h;
                List<ImageRecord> held = fleet.someImages(8);
                int chunkCount = 1 + random.nextInt(3);
                List<HostSnapshot> chunks = new ArrayList<>(SyntheticFleet.chunks(host, g, held, chunkCount));
                if (chunkCount > 1 && random.nextInt(5) == 0) {
                    // An agent restarted mid-publish: this generation never completes.
                    chunks.remove(chunks.size() - 1);
                }
                events.addAll(chunks);
                if (random.nextInt(4) == 0) {
                    events.add(chunks.get(0)); // a redelivered chunk
                }
                events.add(SyntheticFleet.heartbeat(host, SyntheticFleet.T0.plusSeconds(g * 60L + h)));
            }
            for (int i = 0; i < 2 && !configsToSend.isEmpty(); i++) {
                events.add(fleet.config(configsToSend.remove(configsToSend.size() - 1)));
            }
        }
        configsToSend.forEach(i -> events.add(fleet.config(i)));
        return events;
    }
}
