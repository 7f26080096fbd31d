package io.layeratlas.ingest.internal;

import io.layeratlas.events.HistoryEntry;
import io.layeratlas.events.Problem;

import java.util.ArrayList;
import java.util.List;

/**
 * Gives each history step the size of the layer it made, as the Engine API's {@code /images/{id}/history}
 * does (moby {@code daemon/images/image_history.go}): the n-th non-empty step made the n-th layer; empty
 * steps have size 0. Emptiness comes from {@code empty_layer} only, never from a size.
 */
public final class HistorySizes {
    private HistorySizes() {
    }

    /**
     * @param steps      the config's history, oldest first
     * @param layerSizes bytes of each layer, bottom first; a negative size (unknown) is reported as 0
     * @param path       the config's path, for problems
     * @param problems   receives a problem when the non-empty steps and the layers do not pair up
     * @return the history, oldest first, with sizes
     */
    public static List<HistoryEntry> of(List<ImageConfig.Step> steps, List<Long> layerSizes, String path,
                                        List<Problem> problems) {
        List<HistoryEntry> out = new ArrayList<>(steps.size());
        int layer = 0;
        int nonEmpty = 0;
        for (ImageConfig.Step s : steps) {
            long size = 0;
            if (!s.emptyLayer()) {
                nonEmpty++;
                if (layer < layerSizes.size()) {
                    size = Math.max(0, layerSizes.get(layer));
                }
                layer++;
            }
            out.add(new HistoryEntry(s.created(), s.createdBy(), s.comment(), s.emptyLayer(), size));
        }
        if (!steps.isEmpty() && nonEmpty != layerSizes.size()) {
            problems.add(new Problem(path, "history has " + nonEmpty + " non-empty steps but rootfs has "
                    + layerSizes.size() + " layers; " + (nonEmpty > layerSizes.size()
                    ? "the extra steps get size 0" : "every layer is kept")));
        }
        return out;
    }
}
