package io.layeratlas.ingest.dataroot;

import com.fasterxml.jackson.databind.JsonNode;
import io.layeratlas.events.ContainerRecord;
import io.layeratlas.events.Digest;
import io.layeratlas.events.Problem;
import io.layeratlas.ingest.internal.GoJson;
import io.layeratlas.ingest.internal.Rfc3339;
import io.layeratlas.ingest.internal.SafeFiles;
import io.layeratlas.ingest.internal.UnreadableItemException;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The containers of a data-root: {@code containers/<id>/config.v2.json}, written by moby's
 * {@code container/container.go} ({@code Container.toDisk}): {@code ID}, {@code Name} ({@code /name}),
 * {@code Created}, {@code Image} (the image ID), {@code Config.Image} (the reference given) and {@code State}
 * ({@code container/state.go}: {@code Running}, {@code Paused}, {@code Restarting}, {@code RemovalInProgress},
 * {@code Dead}, {@code StartedAt}). The state string is derived as {@code State.StateString()} derives it. A folder
 * without {@code config.v2.json} (a container being created) is skipped; an unreadable one is a problem and the rest
 * are read. What is on disk is what the daemon last wrote: a container of a daemon killed while it ran still says
 * {@code running}. Stateless.
 */
final class ContainerConfigs {
    /** Go's zero {@code time.Time}, which {@code StartedAt} keeps until the container first starts. */
    private static final Instant GO_ZERO_TIME = Instant.parse("0001-01-01T00:00:00Z");

    private ContainerConfigs() {
    }

    /** Every container, in folder-name order; problems appended to {@code problems}. */
    static List<ContainerRecord> read(SafeFiles files, List<Problem> problems) {
        List<ContainerRecord> out = new ArrayList<>();
        List<Path> dirs;
        try {
            dirs = files.list(files.root().resolve("containers"));
        } catch (UnreadableItemException e) {
            problems.add(e.toProblem());
            return out;
        }
        for (Path dir : dirs) {
            Path config = dir.resolve("config.v2.json");
            String where = files.rel(config);
            try {
                Optional<byte[]> bytes = files.readIfPresent(config);
                if (bytes.isEmpty()) {
                    continue;
                }
                out.add(parse(GoJson.parse(bytes.get(), where, "container config"), where,
                        dir.getFileName().toString()));
            } catch (UnreadableItemException e) {
                problems.add(e.toProblem());
            }
        }
        return out;
    }

    private static ContainerRecord parse(JsonNode node, String where, String folder) {
        if (!node.isObject()) {
            throw new UnreadableItemException(where, "a JSON " + GoJson.kind(node) + ", not a container config");
        }
        String id = GoJson.text(node, "ID");
        if (id.isEmpty()) {
            id = folder;
        }
        String name = GoJson.text(node, "Name");
        name = name.startsWith("/") ? name.substring(1) : name;
        String image = GoJson.text(GoJson.field(node, "Config"), "Image");
        return new ContainerRecord(id, name.isEmpty() ? null : name, state(GoJson.field(node, "State"), where),
                time(node, "Created", where), GoJson.digest(node, "Image", where), image.isEmpty() ? null : image);
    }

    /** moby {@code container/state.go}, {@code (*State).StateString()}. */
    private static String state(JsonNode s, String where) {
        if (GoJson.absent(s)) {
            return null;
        }
        if (flag(s, "Running")) {
            if (flag(s, "Paused")) {
                return "paused";
            }
            return flag(s, "Restarting") ? "restarting" : "running";
        }
        if (flag(s, "RemovalInProgress")) {
            return "removing";
        }
        if (flag(s, "Dead")) {
            return "dead";
        }
        Instant started = time(s, "StartedAt", where);
        return started == null || started.equals(GO_ZERO_TIME) ? "created" : "exited";
    }

    private static boolean flag(JsonNode obj, String name) {
        JsonNode n = GoJson.field(obj, name);
        return n.isBoolean() && n.booleanValue();
    }

    private static Instant time(JsonNode obj, String name, String where) {
        String text = GoJson.text(obj, name);
        if (text.isEmpty()) {
            return null;
        }
        try {
            return Rfc3339.parse(text);
        } catch (IllegalArgumentException e) {
            throw new UnreadableItemException(where, name + ": " + e.getMessage());
        }
    }

    /** How many containers use each image ID ({@code docker image ls}'s CONTAINERS). */
    static java.util.Map<Digest, Integer> countByImage(List<ContainerRecord> containers) {
        java.util.Map<Digest, Integer> counts = new java.util.HashMap<>();
        for (ContainerRecord c : containers) {
            if (c.imageId() != null) {
                counts.merge(c.imageId(), 1, Integer::sum);
            }
        }
        return counts;
    }
}
