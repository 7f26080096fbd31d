package io.layeratlas.db.query;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * How fresh an answer is: the oldest report among the hosts involved, and which of them are stale.
 *
 * @param asOf              when the answer was computed
 * @param oldestReportAt    the oldest {@link HostStatus#lastReportAt()} among the hosts involved; null if none reported
 * @param oldestInventoryAt the oldest inventory (scan time) among them; null if none
 * @param staleAfterSeconds a host is stale when its last report is older than this many seconds
 * @param hostCount         hosts involved
 * @param staleHosts        host IDs of the stale ones, sorted
 */
public record Freshness(Instant asOf, Instant oldestReportAt, Instant oldestInventoryAt, long staleAfterSeconds,
                        int hostCount, List<String> staleHosts) {
    public Freshness {
        Objects.requireNonNull(asOf, "asOf");
        staleHosts = List.copyOf(staleHosts);
    }

    /** Whether every host involved is current. */
    public boolean allFresh() {
        return staleHosts.isEmpty();
    }

    /**
     * Decides staleness. Immutable and thread-safe.
     *
     * @param clock      the time source ({@link Clock#systemUTC()} in production)
     * @param staleAfter age of the last report (heartbeat or snapshot) after which a host counts as stale; positive
     */
    public record Policy(Clock clock, Duration staleAfter) {
        public Policy {
            Objects.requireNonNull(clock, "clock");
            Objects.requireNonNull(staleAfter, "staleAfter");
            if (staleAfter.isNegative() || staleAfter.isZero()) {
                throw new IllegalArgumentException("staleAfter must be positive: " + staleAfter);
            }
        }

        /** Whether a host whose last report was at {@code lastReportAt} (null: never) is stale now. */
        public boolean isStale(Instant lastReportAt) {
            return lastReportAt == null || lastReportAt.isBefore(clock.instant().minus(staleAfter));
        }

        /** Reports before this instant are stale. */
        public Instant staleBefore() {
            return clock.instant().minus(staleAfter);
        }

        /** The freshness of an answer whose hosts were aggregated elsewhere (in SQL). */
        public Freshness of(int hostCount, Instant oldestReportAt, Instant oldestInventoryAt, List<String> staleHosts) {
            return new Freshness(clock.instant(), oldestReportAt, oldestInventoryAt, staleAfter.toSeconds(), hostCount,
                    staleHosts);
        }

        /** The freshness of an answer that involves these hosts. */
        public Freshness of(Collection<HostStatus> hosts) {
            Instant oldestReport = null;
            Instant oldestInventory = null;
            for (HostStatus h : hosts) {
                if (h.lastReportAt() != null && (oldestReport == null || h.lastReportAt().isBefore(oldestReport))) {
                    oldestReport = h.lastReportAt();
                }
                if (h.lastInventoryAt() != null && (oldestInventory == null || h.lastInventoryAt().isBefore(oldestInventory))) {
                    oldestInventory = h.lastInventoryAt();
                }
            }
            List<String> stale = hosts.stream().filter(HostStatus::stale).map(HostStatus::hostId).distinct().sorted().toList();
            int count = (int) hosts.stream().map(HostStatus::hostId).distinct().count();
            return new Freshness(clock.instant(), oldestReport, oldestInventory, staleAfter.toSeconds(), count, stale);
        }
    }
}
