package io.layeratlas.db.query;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
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
 * @param staleHosts        host IDs of the stale ones, sorted (by UTF-16 code unit, as {@link String#compareTo}): all
 *                          of them, or the first {@value #STALE_LISTED} when there are more
 * @param staleHostCount    how many of the hosts involved are stale
 * @param replica           when the answer was read from a hot standby: how far its replay trails the primary;
 *                          null when read from the primary
 */
public record Freshness(Instant asOf, Instant oldestReportAt, Instant oldestInventoryAt, long staleAfterSeconds,
                        int hostCount, List<String> staleHosts, int staleHostCount, Replica replica) {
    /**
     * Most stale host IDs an answer lists: an answer about the whole fleet of 10,000 hosts named every one of them when
     * a data center stopped reporting, in every response (the host list sorted by staleness pages through them).
     */
    public static final int STALE_LISTED = 100;

    public Freshness {
        Objects.requireNonNull(asOf, "asOf");
        staleHosts = List.copyOf(staleHosts);
        if (staleHosts.size() > STALE_LISTED || staleHostCount < staleHosts.size()
                || (staleHosts.size() < STALE_LISTED && staleHostCount != staleHosts.size())) {
            throw new IllegalArgumentException(staleHostCount + " stale hosts listed as " + staleHosts.size());
        }
    }

    /**
     * The standby an answer was read from (PostgreSQL's streaming replication, "Hot Standby" chapter).
     *
     * @param lastReplayAt     commit time on the primary of the last transaction the standby replayed
     *                         ({@code pg_last_xact_replay_timestamp()}); null if none yet
     * @param caughtUp         whether the standby has replayed all the WAL it received
     *                         ({@code pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()})
     * @param replayLagSeconds 0 when caught up, else the standby's time now minus {@code lastReplayAt}, in seconds:
     *                         how old the newest replayed change is (an upper bound on what the answer misses)
     */
    public record Replica(Instant lastReplayAt, boolean caughtUp, double replayLagSeconds) {
    }

    /** Whether every host involved is current. */
    public boolean allFresh() {
        return staleHostCount == 0;
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

        /**
         * The freshness of an answer whose hosts were aggregated elsewhere (in SQL).
         *
         * @param staleHosts     stale host IDs, any order: all of them, or at least the first {@link #STALE_LISTED}
         *                       in sorted order (the rest are left out)
         * @param staleHostCount how many are stale
         */
        public Freshness of(int hostCount, Instant oldestReportAt, Instant oldestInventoryAt, List<String> staleHosts,
                            int staleHostCount, Replica replica) {
            List<String> sorted = new ArrayList<>(staleHosts);
            Collections.sort(sorted);
            return new Freshness(clock.instant(), oldestReportAt, oldestInventoryAt, staleAfter.toSeconds(), hostCount,
                    sorted.subList(0, Math.min(sorted.size(), STALE_LISTED)), staleHostCount, replica);
        }
    }
}
