package io.layeratlas.ingest.agent;

import com.github.dockerjava.api.model.EventType;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The follower against a fake Engine API ({@code /_ping} and a hand-fed {@code /events} stream over TCP). Cases from
 * the live-daemon test (AgentDockerDaemonTest): {@code docker create} and {@code docker rm} change an image's
 * container count but were not followed (image events only), and a change made before the stream opened was
 * noticed only by the periodic rescan.
 */
class EngineEventsFollowerTest {
    private static final String END = "END";

    @Test
    void the_follower_asks_for_a_rescan_when_the_stream_opens_and_on_each_event_that_changes_the_inventory() throws IOException {
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        AtomicReference<String> query = new AtomicReference<>();
        HttpServer daemon = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        daemon.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fake-dockerd");
            t.setDaemon(true);
            return t;
        }));
        daemon.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            if (path.endsWith("/_ping")) {
                byte[] ok = "OK".getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, ok.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(ok);
                }
            } else if (path.endsWith("/events")) {
                query.set(URLDecoder.decode(exchange.getRequestURI().getRawQuery(), StandardCharsets.UTF_8));
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, 0); // chunked, open until END
                try (OutputStream out = exchange.getResponseBody()) {
                    for (String e = take(events); !e.equals(END); e = take(events)) {
                        out.write((e + "\n").getBytes(StandardCharsets.UTF_8));
                        out.flush();
                    }
                } catch (IOException e) {
                    // the follower hung up
                }
            } else {
                exchange.sendResponseHeaders(404, -1);
                exchange.close();
            }
        });
        daemon.start();
        AtomicInteger rescans = new AtomicInteger();
        try (EngineEventsFollower follower = new EngineEventsFollower("tcp://127.0.0.1:" + daemon.getAddress().getPort(),
                rescans::incrementAndGet)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> rescans.get() >= 1);
            await().during(Duration.ofMillis(150)).atMost(Duration.ofSeconds(1)).until(() -> rescans.get() == 1);
            assertThat(query.get()).contains("\"type\"").contains("\"image\"").contains("\"container\"");

            // Each event that must not count goes first: when the next count arrives, it was already passed over.
            expectRescan(events, rescans, 2, event("container", "attach"), event("container", "create"));
            expectRescan(events, rescans, 3, event("container", "health_status: healthy"), event("container", "destroy"));
            expectRescan(events, rescans, 4, event("network", "connect"), event("image", "tag"));
            expectRescan(events, rescans, 5, event("container", "exec_create: sh"), event("image", "untag"));
            expectRescan(events, rescans, 6, event("image", "delete"));
            expectRescan(events, rescans, 7, event("container", "commit"));
            events.add(END);
        } finally {
            events.add(END);
            daemon.stop(0);
        }
    }

    @Test
    void image_and_container_events_that_change_what_a_host_holds_are_told_from_the_rest() {
        for (String action : new String[]{"pull", "load", "import", "tag", "untag", "delete", "prune"}) {
            assertThat(EngineEventsFollower.changesInventory(EventType.IMAGE, action)).as(action).isTrue();
        }
        // issue 16: a container's state and name are in the snapshot, so starting, stopping (die), pausing and
        // renaming one change what the agent reports
        for (String action : new String[]{"create", "destroy", "prune", "commit", "start", "die", "pause", "unpause",
                "restart", "rename"}) {
            assertThat(EngineEventsFollower.changesInventory(EventType.CONTAINER, action)).as(action).isTrue();
        }
        for (String action : new String[]{"stop", "kill", "attach", "exec_create: sh", "health_status: healthy"}) {
            assertThat(EngineEventsFollower.changesInventory(EventType.CONTAINER, action)).as(action).isFalse();
        }
        assertThat(EngineEventsFollower.changesInventory(EventType.IMAGE, "save")).isFalse();
        assertThat(EngineEventsFollower.changesInventory(EventType.IMAGE, "push")).isFalse();
        assertThat(EngineEventsFollower.changesInventory(EventType.VOLUME, "create")).isFalse();
        assertThat(EngineEventsFollower.changesInventory(null, "create")).isFalse();
    }

    private static void expectRescan(BlockingQueue<String> events, AtomicInteger rescans, int count, String... lines) {
        events.addAll(java.util.List.of(lines));
        await().atMost(Duration.ofSeconds(10)).until(() -> rescans.get() >= count);
        // The stream is handled in order, so an event wrongly counted shows up by now; the pause only confirms it.
        await().alias("rescans after " + String.join(", ", lines)).during(Duration.ofMillis(150))
                .atMost(Duration.ofSeconds(1)).until(() -> rescans.get() == count);
    }

    private static String event(String type, String action) {
        return "{\"Type\":\"" + type + "\",\"Action\":\"" + action + "\",\"Actor\":{\"ID\":\"abc\",\"Attributes\":{}},"
                + "\"scope\":\"local\",\"time\":1700000000,\"timeNano\":1700000000000000000}";
    }

    private static String take(BlockingQueue<String> q) {
        try {
            String s = q.poll(30, TimeUnit.SECONDS);
            return s == null ? END : s;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return END;
        }
    }
}
