package io.layeratlas.db.index;

import java.util.List;
import java.util.Map;

/**
 * What {@link IndexTransaction#apply(IndexBatch)} did.
 *
 * @param outcomes   per item reference: {@code applied} (it changed or confirmed a host's state, or it is a
 *                   config or heartbeat), {@code unchanged} (a resend applied from its envelope, not decoded),
 *                   {@code pending} (a chunk stored until its generation is complete), {@code stale} (an older or
 *                   equal generation than the host's)
 * @param needDecode references of undecoded chunks whose envelope did not match the index: when not empty, nothing
 *                   was applied, and the caller must roll back and apply the batch again with them decoded
 * @param statements SQL statements the batch took (for the metrics and the tests: it does not grow with the
 *                   batch's size, only with how many generations of one host complete in it)
 */
public record BatchOutcome(Map<Integer, String> outcomes, List<Integer> needDecode, int statements) {
    public BatchOutcome {
        outcomes = Map.copyOf(outcomes);
        needDecode = List.copyOf(needDecode);
    }
}
