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
 * Follows the Docker Engine API's {@code GET /events} stream (image events only) and calls back when an image is
 * pulled, loaded, imported, tagged, untagged, deleted or pruned. Reconnects with a backoff of 1 s doubling to
 * 30 s while the daemon is away, and calls back after each reconnect, since events may have been missed. The
 * stream is a long-lived HTTP response, so an idle daemon costs no CPU. The callback runs on docker-java's
 * thread and must be quick. Close once.
 */
final class EngineEventsFollower implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EngineEventsFollower.class);
    /** Image actions that change what a host holds (Docker's daemon/events, "image" type). */
    static final Set<String> IMAGE_ACTIONS = Set.of("pull", "load", "import", "tag", "untag", "delete", "prune", "create");

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

    private void run() {
        Duration backoff = Duration.ofSeconds(1);
        boolean wasConnected = false;
        while (!closed) {
            if (DockerEngine.mayBeReachable(dockerHost)) {
                try (DockerClient docker = DockerEngine.client(dockerHost, Duration.ZERO)) {
                    docker.pingCmd().exec();
                    ResultCallback.Adapter<Event> callback = new ResultCallback.Adapter<>() {
                        @Override
                        public void onNext(Event e) {
                            if (e.getAction() != null && IMAGE_ACTIONS.contains(e.getAction())) {
                                log.debug("Docker event: image {} {}", e.getAction(), e.getId());
                                onChange.run();
                            }
                        }
                    };
                    stream = docker.eventsCmd().withEventTypeFilter(EventType.IMAGE).exec(callback);
                    log.info("following image events of the Docker daemon at {}", dockerHost);
                    if (wasConnected) {
                        onChange.run(); // events while we were away are lost: rescan
                    }
                    wasConnected = true;
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
