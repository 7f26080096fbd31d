package io.layeratlas.db.query;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
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
 * @param replica           when the answer was read from a hot standby: how far its replay trails the primary;
 *                          null when read from the primary
 */
public record Freshness(Instant asOf, Instant oldestReportAt, Instant oldestInventoryAt, long staleAfterSeconds,
                        int hostCount, List<String> staleHosts, Replica replica) {
    public Freshness {
        Objects.requireNonNull(asOf, "asOf");
        staleHosts = List.copyOf(staleHosts);
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
        public Freshness of(int hostCount, Instant oldestReportAt, Instant oldestInventoryAt, List<String> staleHosts,
                            Replica replica) {
            return new Freshness(clock.instant(), oldestReportAt, oldestInventoryAt, staleAfter.toSeconds(), hostCount,
                    staleHosts, replica);
        }
    }
}
