package io.layeratlas.ingest.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What the watcher reacts to in a data-root. Case from the live-daemon test (AgentDockerDaemonTest): {@code docker
 * create} and {@code docker rm} change an image's container count, but {@code containers/} was not watched.
 */
class StorageWatcherTest {

    @Test
    void a_container_folder_coming_or_going_is_a_change_but_writes_inside_one_are_not(@TempDir Path dataRoot) throws Exception {
        Files.createDirectories(dataRoot.resolve("image/overlay2/imagedb/content/sha256"));
        Files.createDirectories(dataRoot.resolve("containers/running"));
        AtomicInteger changes = new AtomicInteger();
        try (StorageWatcher watcher = new StorageWatcher(dataRoot, changes::incrementAndGet)) {
            assertThat(watcher.watched()).contains(dataRoot.resolve("containers"));

            // A negative check first: a running container's log and state files change all the time.
            Files.writeString(dataRoot.resolve("containers/running/running-json.log"), "{\"log\":\"hi\"}\n");
            Files.writeString(dataRoot.resolve("containers/running/config.v2.json"), "{}");
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(1)).until(() -> changes.get() == 0);

            Path created = Files.createDirectory(dataRoot.resolve("containers/created"));
            await().atMost(Duration.ofSeconds(5)).until(() -> changes.get() >= 1);

            Files.delete(created);
            await().atMost(Duration.ofSeconds(5)).until(() -> changes.get() >= 2);
        }
    }

    @Test
    void a_containers_folder_made_after_the_watch_started_is_watched_too(@TempDir Path dataRoot) throws Exception {
        Files.createDirectories(dataRoot.resolve("image/overlay2/imagedb/content/sha256"));
        AtomicInteger changes = new AtomicInteger();
        try (StorageWatcher watcher = new StorageWatcher(dataRoot, changes::incrementAndGet)) {
            Files.createDirectories(dataRoot.resolve("containers"));
            await().atMost(Duration.ofSeconds(5)).until(() -> watcher.watched().contains(dataRoot.resolve("containers")));
            int before = changes.get();
            Files.createDirectory(dataRoot.resolve("containers/first"));
            await().atMost(Duration.ofSeconds(5)).until(() -> changes.get() > before);
        }
    }
}
