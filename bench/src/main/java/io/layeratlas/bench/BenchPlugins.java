package io.layeratlas.bench;

import io.layeratlas.events.Digest;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The parts under test that live in other modules, plugged in by the caller ({@code layeratlas bench}), so that this
 * module depends on none of them. A missing part skips its benchmarks (the table says so); the baselines run anyway.
 *
 * @param scanner   the agent's data-root reader
 * @param indexer   starts the indexer
 * @param dashboard starts the dashboard
 */
public record BenchPlugins(Optional<DataRootScanner> scanner, Optional<IndexerHarness> indexer,
                           Optional<DashboardHarness> dashboard) {

    public static BenchPlugins none() {
        return new BenchPlugins(Optional.empty(), Optional.empty(), Optional.empty());
    }

    /**
     * Reads a Docker data-root fully, as the agent does before publishing. Called from one thread.
     * The returned inventory is kept alive while heap is measured.
     */
    @FunctionalInterface
    public interface DataRootScanner {
        Object scan(Path dataRoot) throws Exception;
    }

    /**
     * Where the indexer under test reads and writes.
     *
     * @param bootstrapServers Kafka bootstrap servers
     * @param topicPrefix      prefix of the contract's topic names
     * @param consumerGroup    a fresh group per run
     * @param jdbcUrl          a freshly created, empty database (the indexer migrates it)
     * @param user             database user
     * @param password         database password (empty for the embedded server)
     */
    public record IndexerTarget(String bootstrapServers, String topicPrefix, String consumerGroup, String jdbcUrl,
                                String user, String password) {
    }

    /** Starts an indexer on a target. */
    @FunctionalInterface
    public interface IndexerHarness {
        RunningIndexer start(IndexerTarget target) throws Exception;
    }

    /** An indexer consuming in the background. */
    public interface RunningIndexer extends AutoCloseable {
        /**
         * Waits until every record published before the call has been applied (e.g. the consumer's position has
         * reached the end offsets it saw at the call), or the timeout passes.
         *
         * @return true when caught up
         */
        boolean awaitCaughtUp(Duration timeout) throws Exception;

        /** Resident memory of the indexer's process in bytes, when it runs in a process of its own. */
        default OptionalLong rssBytes() {
            return OptionalLong.empty();
        }

        @Override
        void close() throws Exception;
    }

    /** Starts the dashboard on a database (read-only use). */
    @FunctionalInterface
    public interface DashboardHarness {
        RunningDashboard start(String jdbcUrl, String user, String password) throws Exception;
    }

    /** A started dashboard and the addresses of the pages the benchmarks request (JSON API preferred). */
    public interface RunningDashboard extends AutoCloseable {
        /** "Which hosts hold this layer". */
        URI hostsHoldingLayer(Digest chainId);

        /** The layer page: the layer, its usage, the images containing it. */
        URI layerPage(Digest chainId);

        /** The reuse page: the most shared layers and bytes saved. */
        URI reusePage();

        /** One host's page: its images, layers and agent status. */
        URI hostPage(String hostId);

        /** The remediation export: every host holding the layer, one CSV line each, streamed. */
        URI hostsExport(Digest chainId);

        /** The same export as one JSON document: {@code {"hosts":[…],"hostCount"}}, streamed. */
        URI hostsExportJson(Digest chainId);

        /** A package search ({@code openssl<3.0.8}): the images that have a matching version and the hosts holding them. */
        URI packageSearch(String question);

        /**
         * For freshness: true once the API shows this host at this snapshot generation or later.
         * Implementations typically GET {@link #hostPage} with one row a list and read the generation.
         */
        boolean showsGeneration(String hostId, long generation) throws Exception;

        /**
         * The process ID of the dashboard's JVM when it runs as a process of its own on this machine: the bench then
         * warms it until its JIT compilers go quiet ({@code QueryBenchmark.warmUp}); empty otherwise.
         */
        default OptionalLong pid() {
            return OptionalLong.empty();
        }

        default OptionalLong rssBytes() {
            return OptionalLong.empty();
        }

        @Override
        void close() throws Exception;
    }
}
