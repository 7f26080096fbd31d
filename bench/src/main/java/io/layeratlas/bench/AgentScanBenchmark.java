package io.layeratlas.bench;

import io.layeratlas.bench.dataroot.DataRootGenerator;
import io.layeratlas.events.EventCodec;
import io.layeratlas.events.HostInventory;
import io.layeratlas.events.LayerPackages;
import io.layeratlas.events.LayerRecord;
import io.layeratlas.ingest.packages.DataRootLayerContents;
import io.layeratlas.ingest.packages.LayerDatabases;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * (a) A full scan of a generated data-root of {@link Scale#dataRootImages()} images, against the floor of reading
 * the same metadata files once: listing {@code image/overlay2/} and {@code Files.readAllBytes} of every file in it
 * except {@code tar-split.json.gz} (which a metadata reader never needs). Both are run warm (as many warm-ups as timed
 * runs); the median is reported. Heap: bytes allocated per scan by the scanning thread, and heap still used while the
 * scan's result is alive (after a GC) against the bytes of the files themselves.
 *
 * <p>(b) The same scan with package reading on, as an agent's first scan does it (issue 15): after the metadata
 * scan, every layer's overlay2 diff folder is read for package databases ({@link DataRootLayerContents}) and its
 * layer-packages event encoded and kept (the agent holds them until Kafka acknowledges). Later scans read only new
 * layers, so this is the worst case; compared with (a)'s scan.
 */
public final class AgentScanBenchmark {
    private AgentScanBenchmark() {
    }

    public static List<BenchmarkResult> run(Scale scale, Path work, Optional<BenchPlugins.DataRootScanner> scanner)
            throws Exception {
        // "-pkg": data-roots generated before layers held dpkg status files are not reused
        Path root = work.resolve("dataroot-" + scale.dataRootImages() + "-pkg");
        if (!Files.exists(root.resolve("image"))) {
            DataRootGenerator.generate(root, scale.dataRootImages(), 42);
        }
        List<Path> files = metadataFiles(root);
        long metadataBytes = 0;
        for (Path f : files) {
            metadataBytes += Files.size(f);
        }
        List<BenchmarkResult> out = new ArrayList<>();
        int n = scale.scanRepetitions();
        Measured floor = measure(n, () -> {
            List<byte[]> all = new ArrayList<>();
            for (Path f : metadataFiles(root)) {
                all.add(Files.readAllBytes(f));
            }
            return all;
        });
        out.add(BenchmarkResult.absolute("agent.scan.floor", floor.medianMs, "ms",
                "list + readAllBytes of " + files.size() + " metadata files (" + metadataBytes + " bytes), "
                        + scale.dataRootImages() + " images"));
        if (scanner.isEmpty()) {
            out.add(BenchmarkResult.skipped("agent.scan.time", "ms", "scanner not plugged in (BenchPlugins.scanner)"));
            out.add(BenchmarkResult.skipped("agent.scan.retained-heap", "bytes", "scanner not plugged in"));
            out.add(BenchmarkResult.skipped("agent.scan.allocated", "bytes", "scanner not plugged in"));
            return out;
        }
        Measured scan = measure(n, () -> scanner.get().scan(root));
        out.add(BenchmarkResult.of("agent.scan.time", scan.medianMs, "ms", floor.medianMs,
                "target < 1000 ms and < 3x the floor"));
        out.add(BenchmarkResult.of("agent.scan.retained-heap", scan.retainedBytes, "bytes", metadataBytes,
                "heap held by one scan's result vs the metadata files' size"));
        out.add(BenchmarkResult.of("agent.scan.allocated", scan.allocatedBytes, "bytes", floor.allocatedBytes,
                "allocated per scan vs per floor read"));
        out.addAll(withPackages(n, root, scanner.get(), scan));
        return out;
    }

    /** (b): scan plus every layer's package databases read and encoded, against the scan alone. */
    static List<BenchmarkResult> withPackages(int n, Path root, BenchPlugins.DataRootScanner scanner, Measured scan)
            throws Exception {
        DataRootLayerContents contents = new DataRootLayerContents(root);
        int[] counts = new int[2];
        Measured packages = measure(n, () -> {
            Object result = scanner.scan(root);
            if (!(result instanceof HostInventory inventory)) {
                return null;
            }
            List<byte[]> events = new ArrayList<>();
            int withDatabases = 0;
            for (LayerRecord layer : inventory.layers()) {
                java.util.Optional<LayerDatabases> read = contents.read(layer);
                if (read.isPresent()) {
                    withDatabases += read.get().databases().isEmpty() ? 0 : 1;
                    events.add(EventCodec.encode(LayerPackages.of(layer.diffId(), "bench", java.time.Instant.now(),
                            read.get().databases(), read.get().problems())));
                }
            }
            counts[0] = events.size();
            counts[1] = withDatabases;
            return List.of(inventory, events);
        });
        if (counts[0] == 0) {
            return List.of(BenchmarkResult.skipped("agent.scan.packages.time", "ms",
                    "the scanner plugged in returns no HostInventory, or no layer folder was found"));
        }
        String what = counts[0] + " layers read, " + counts[1] + " with a dpkg status";
        return List.of(
                BenchmarkResult.of("agent.scan.packages.time", packages.medianMs, "ms", scan.medianMs,
                        "first scan with package reading on vs agent.scan.time (off); " + what),
                BenchmarkResult.of("agent.scan.packages.retained-heap", packages.retainedBytes, "bytes", scan.retainedBytes,
                        "inventory + encoded layer-packages events vs the inventory alone"),
                BenchmarkResult.of("agent.scan.packages.allocated", packages.allocatedBytes, "bytes", scan.allocatedBytes,
                        "allocated per scan with packages vs without"));
    }

    /** Every file a metadata reader may read: everything under {@code image/} but the tar-split streams. */
    static List<Path> metadataFiles(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root.resolve("image"))) {
            return s.filter(Files::isRegularFile)
                    .filter(p -> !p.getFileName().toString().equals("tar-split.json.gz"))
                    .toList();
        }
    }

    @FunctionalInterface
    interface Work {
        Object run() throws Exception;
    }

    record Measured(double medianMs, double allocatedBytes, double retainedBytes) {
    }

    static Measured measure(int repetitions, Work work) throws Exception {
        for (int i = 0; i < repetitions; i++) {
            work.run();
        }
        double[] ms = new double[repetitions];
        long allocated = 0;
        for (int i = 0; i < repetitions; i++) {
            long a0 = threadAllocated();
            long t0 = System.nanoTime();
            work.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
            allocated += threadAllocated() - a0;
        }
        Arrays.sort(ms);
        long before = usedHeapAfterGc();
        Object result = work.run();
        long after = usedHeapAfterGc();
        java.lang.ref.Reference.reachabilityFence(result);
        if (result == null) {
            after = before; // nothing kept
        }
        return new Measured(ms[repetitions / 2], (double) allocated / repetitions, Math.max(0, after - before));
    }

    private static long threadAllocated() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t) {
            return t.getThreadAllocatedBytes(Thread.currentThread().getId());
        }
        return 0;
    }

    static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }
}
