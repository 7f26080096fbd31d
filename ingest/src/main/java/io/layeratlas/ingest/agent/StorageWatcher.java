package io.layeratlas.ingest.agent;

import io.layeratlas.ingest.containerd.ContainerdImageStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Watches the files of on-disk image storage that change when images come and go, and calls back on each change;
 * the agent debounces the calls into one rescan. Uses the platform's {@link WatchService} (inotify on Linux), so
 * an idle host costs no CPU. Watches are not recursive, so only these folders are watched, each for the names
 * that matter:
 * <ul>
 *   <li>a Docker data-root: {@code image/<driver>/repositories.json} (Docker replaces it by rename on every tag
 *       change, reference/store.go), {@code image/<driver>/imagedb/content/sha256} and
 *       {@code imagedb/metadata/sha256} (image configs and parents, image/fs.go), {@code image/<driver>/layerdb/sha256}
 *       (a layer's folder appears by rename when it is committed, layer/filestore.go); any driver name;
 *       {@code containers/}, whose sub-folders come and go with containers (each image's container count,
 *       daemon/create.go, daemon/delete.go) — only the folder itself, not what changes inside a container's
 *       folder (logs, state), so a running container costs no rescans;</li>
 *   <li>the pre-1.10 layout: {@code repositories-<driver>} and {@code graph/};</li>
 *   <li>Docker's containerd image store: {@code io.containerd.metadata.v1.bolt/meta.db}, which containerd writes in
 *       place on every change of images, content and snapshots (and of leases and containers, which cost a
 *       rescan that finds nothing new);</li>
 *   <li>an OCI layout: {@code index.json}; an archive file: the file itself (through its folder).</li>
 * </ul>
 * Folders that appear later (a first image on a new host) are picked up after any change above them.
 * The callback runs on the watcher's thread and must be quick. Close once.
 */
final class StorageWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StorageWatcher.class);
    private static final Set<String> LEAVES = Set.of("imagedb/content/sha256", "imagedb/metadata/sha256", "layerdb/sha256");

    private final Path root;
    private final Runnable onChange;
    private final WatchService watchService;
    private final Map<WatchKey, Predicate<String>> filters = new HashMap<>();
    private final Map<Path, WatchKey> keys = new HashMap<>();
    private final Thread thread;

    /**
     * @param source   a data-root, legacy graph root, OCI layout folder, or archive file
     * @param onChange called (on the watcher's thread) after each batch of relevant changes
     * @throws UncheckedIOException if the platform cannot watch files
     */
    StorageWatcher(Path source, Runnable onChange) {
        this.root = source.toAbsolutePath().normalize();
        this.onChange = onChange;
        try {
            this.watchService = FileSystems.getDefault().newWatchService();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot watch " + source, e);
        }
        register();
        log.info("watching {} for changes ({} folders)", root, keys.size());
        this.thread = new Thread(this::run, "layeratlas-agent-watch");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** The folders watched now; for tests and the log. */
    synchronized List<Path> watched() {
        return List.copyOf(keys.keySet());
    }

    private void run() {
        try {
            while (true) {
                WatchKey key = watchService.take();
                boolean relevant = false;
                do {
                    Predicate<String> filter;
                    synchronized (this) {
                        filter = filters.get(key);
                    }
                    for (WatchEvent<?> e : key.pollEvents()) {
                        if (e.kind() == StandardWatchEventKinds.OVERFLOW
                                || filter != null && e.context() instanceof Path p && filter.test(p.toString())) {
                            relevant = true;
                        }
                    }
                    key.reset();
                    key = watchService.poll();
                } while (key != null);
                register();
                if (relevant) {
                    onChange.run();
                }
            }
        } catch (ClosedWatchServiceException | InterruptedException e) {
            // closed
        } catch (RuntimeException e) {
            log.error("the storage watcher stopped; changes are noticed by the periodic rescan only", e);
        }
    }

    /** (Re)registers every folder of interest that exists now; forgets those that are gone. */
    private synchronized void register() {
        Map<Path, Predicate<String>> wanted = new HashMap<>();
        if (Files.isRegularFile(root)) {
            String name = root.getFileName().toString();
            wanted.put(root.getParent(), n -> n.equals(name));
        } else if (Files.isDirectory(root)) {
            wanted.put(root, n -> n.equals("image") || n.equals("graph") || n.startsWith("repositories")
                    || n.equals("index.json") || n.equals("oci-layout") || n.equals("containers"));
            wanted.put(root.resolve("containers"), n -> true);
            Path image = root.resolve("image");
            wanted.put(image, n -> true);
            for (Path driver : children(image)) {
                wanted.put(driver, n -> n.startsWith("repositories.json") && !n.endsWith(".tmp") || n.equals("imagedb") || n.equals("layerdb"));
                wanted.put(driver.resolve("imagedb"), n -> n.equals("content") || n.equals("metadata"));
                wanted.put(driver.resolve("imagedb/content"), n -> n.equals("sha256"));
                wanted.put(driver.resolve("imagedb/metadata"), n -> n.equals("sha256"));
                wanted.put(driver.resolve("layerdb"), n -> n.equals("sha256"));
                for (String leaf : LEAVES) {
                    wanted.put(driver.resolve(leaf), n -> true);
                }
            }
            wanted.put(root.resolve("graph"), n -> true);
            ContainerdImageStore.locate(root).ifPresent(c ->
                    wanted.put(c.resolve("io.containerd.metadata.v1.bolt"), n -> n.equals("meta.db")));
        }
        keys.entrySet().removeIf(e -> {
            if (!e.getValue().isValid() || !wanted.containsKey(e.getKey())) {
                e.getValue().cancel();
                filters.remove(e.getValue());
                return true;
            }
            return false;
        });
        wanted.forEach((dir, filter) -> {
            if (!keys.containsKey(dir) && Files.isDirectory(dir)) {
                try {
                    WatchKey key = dir.register(watchService, StandardWatchEventKinds.ENTRY_CREATE,
                            StandardWatchEventKinds.ENTRY_DELETE, StandardWatchEventKinds.ENTRY_MODIFY);
                    keys.put(dir, key);
                    filters.put(key, filter);
                } catch (IOException | ClosedWatchServiceException e) {
                    log.debug("cannot watch {}: {}", dir, e.toString());
                }
            }
        });
    }

    private static List<Path> children(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).toList();
        } catch (IOException e) {
            return new ArrayList<>();
        }
    }

    @Override
    public void close() {
        try {
            watchService.close();
        } catch (IOException e) {
            log.debug("closing the watch service", e);
        }
        thread.interrupt();
    }
}
