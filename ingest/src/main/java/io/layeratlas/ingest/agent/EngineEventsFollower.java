package io.layeratlas.ingest.agent;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.EventType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.time.Duration;
import java.util.Set;

/**
 * Follows the Docker Engine API's {@code GET /events} stream (image and container events) and calls back when what
 * the host holds may have changed: an image pulled, loaded, imported, tagged, untagged, deleted or pruned; a
 * container created, destroyed or pruned (each image's container count), committed (a new image, which has no
 * image event of its own unless it is tagged), started, stopped (die), paused, unpaused, restarted or renamed (the
 * snapshot's containers). Events are listed in {@link #changesInventory}; Docker's own list
 * is {@code api/types/events/events.go}.
 *
 * <p>It also calls back each time the stream opens, the first time included: the agent's first scan runs before
 * the stream is open, and a change between the two would otherwise go unnoticed until the periodic rescan. The
 * daemon subscribes the stream just after it sends the response headers ({@code api/server/router/system}),
 * which is well within the agent's debounce. Reconnects with a backoff of 1 s doubling to 30 s while the daemon is
 * away. The stream is a long-lived HTTP response, so an idle daemon costs no CPU. The callback runs on
 * docker-java's thread and must be quick. Close once.
 */
final class EngineEventsFollower implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EngineEventsFollower.class);
    /** Image actions that change what a host holds (Docker's daemon/events, "image" type). */
    static final Set<String> IMAGE_ACTIONS = Set.of("pull", "load", "import", "tag", "untag", "delete", "prune", "create");
    /**
     * Container actions that change what a host holds or runs: the containers (and counts per image), a new image
     * (commit), and a container's state or name, which snapshots carry since issue 16 (start, die — also after stop
     * and kill —, pause, unpause, restart, rename).
     */
    static final Set<String> CONTAINER_ACTIONS = Set.of("create", "destroy", "prune", "commit", "start", "die", "pause",
            "unpause", "restart", "rename");

    private final String dockerHost;
    private final Runnable onChange;
    private final Thread thread;
    private volatile boolean closed;
    private volatile Closeable stream;

    EngineEventsFollower(String dockerHost, Runnable onChange) {
        this.dockerHost = dockerHost;
        this.onChange = onChange;
        this.thread = new Thread(this::run, "layeratlas-agent-events");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** True for an event after which the inventory may differ: see {@link #IMAGE_ACTIONS}, {@link #CONTAINER_ACTIONS}. */
    static boolean changesInventory(EventType type, String action) {
        if (type == null || action == null) {
            return false;
        }
        return switch (type) {
            case IMAGE -> IMAGE_ACTIONS.contains(action);
            case CONTAINER -> CONTAINER_ACTIONS.contains(action);
            default -> false;
        };
    }

    private void run() {
        Duration backoff = Duration.ofSeconds(1);
        while (!closed) {
            if (DockerEngine.mayBeReachable(dockerHost)) {
                try (DockerClient docker = DockerEngine.client(dockerHost, Duration.ZERO)) {
                    docker.pingCmd().exec();
                    ResultCallback.Adapter<Event> callback = new ResultCallback.Adapter<>() {
                        @Override
                        public void onStart(Closeable closeable) {
                            super.onStart(closeable);
                            log.info("following image and container events of the Docker daemon at {}", dockerHost);
                            // Whatever changed before the stream opened (the first scan's time included) is read now.
                            onChange.run();
                        }

                        @Override
                        public void onNext(Event e) {
                            if (changesInventory(e.getType(), e.getAction())) {
                                log.debug("Docker event: {} {} {}", e.getType(), e.getAction(), e.getId());
                                onChange.run();
                            }
                        }
                    };
                    stream = docker.eventsCmd().withEventTypeFilter(EventType.IMAGE, EventType.CONTAINER).exec(callback);
                    backoff = Duration.ofSeconds(1);
                    callback.awaitCompletion();
                    if (!closed) {
                        log.warn("the Docker event stream at {} ended; reconnecting", dockerHost);
                    }
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    if (!closed) {
                        log.debug("Docker daemon at {} unreachable: {}", dockerHost, e.toString());
                    }
                }
            }
            try {
                Thread.sleep(backoff.toMillis());
            } catch (InterruptedException e) {
                return;
            }
            backoff = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(30)) > 0 ? Duration.ofSeconds(30) : backoff.multipliedBy(2);
        }
    }

    @Override
    public void close() {
        closed = true;
        Closeable s = stream;
        if (s != null) {
            try {
                s.close();
            } catch (Exception e) {
                log.debug("closing the Docker event stream", e);
            }
        }
        thread.interrupt();
    }
}
