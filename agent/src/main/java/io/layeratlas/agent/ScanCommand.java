package io.layeratlas.agent;

import io.layeratlas.events.HostInventory;
import io.layeratlas.events.SourceKind;
import io.layeratlas.ingest.ScanReport;
import io.layeratlas.ingest.Scanner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code layeratlas scan SOURCE…}: prints what each source holds as JSON, without Kafka or a database.
 * Exit code 0 when everything was read, 1 when some item or a whole source could not be read (listed under
 * {@code problems}: a source that is not an image store is a problem whose path is the source), 2 for a usage
 * error (an unknown {@code --kind}, no source). The JSON document is always printed, also when every source failed.
 */
@Command(name = "scan", mixinStandardHelpOptions = true,
        description = {"Print what image storage holds, as JSON: the same data the agent publishes.",
                "Output: {\"sources\":[{\"source\",\"kind\",\"hostId\",\"scannedAt\",\"images\":[…],\"layers\":[…],\"problems\":[{\"path\",\"reason\"}]}]}.",
                "Exit code: 0 all read, 1 something or a whole source could not be read (see problems; the JSON is printed "
                        + "all the same), 2 usage error."})
public final class ScanCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "SOURCE",
            description = "PATH or HOST=PATH: a Docker data-root, a pre-1.10 graph layout, an image archive "
                    + "(docker save / OCI, optionally gzipped), an OCI layout folder, or unix:///var/run/docker.sock.")
    List<String> sources;

    @Option(names = "--kind", paramLabel = "KIND",
            description = "Read the sources as this kind instead of detecting it: data-root, legacy-graph, archive, "
                    + "oci-layout, engine-api.")
    String kind;

    @Option(names = "--host-id", defaultValue = "${env:LAYERATLAS_HOST_ID}",
            description = "Host ID for sources given without HOST=. Env: LAYERATLAS_HOST_ID. Default: the folder's "
                    + "name for a copied data-root, else /etc/machine-id, else the hostname.")
    String hostId;

    @Option(names = "--compact", description = "One line of JSON instead of indented output.")
    boolean compact;

    @Option(names = "--format", defaultValue = "json", paramLabel = "FORMAT",
            description = "json (default: everything read) or table (each source's images as docker image ls -a "
                    + "shows them, then its containers and problems).")
    String format;

    @Override
    public Integer call() throws Exception {
        Optional<SourceKind> forced = Optional.ofNullable(kind).map(SourceKind::fromId);
        Scanner scanner = new Scanner(false); // prints inventories only: no layer's package databases are read
        List<HostInventory> inventories = new ArrayList<>();
        for (String text : sources) {
            SourceSpec spec = SourceSpec.parse(text);
            String host = HostIds.forSource(spec, Optional.ofNullable(hostId));
            // a source that cannot be read at all is a problem in the output, not the end of the command
            inventories.add(scanner.scanOrReport(spec.location(), forced, host));
        }
        PrintStream stdout = System.out;
        if ("table".equals(format)) {
            for (HostInventory inv : inventories) {
                stdout.print(table(inv, java.time.Instant.now()));
            }
            stdout.flush();
            return inventories.stream().anyMatch(i -> !i.problems().isEmpty()) ? 1 : 0;
        }
        if (!"json".equals(format)) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                    "--format must be json or table, not '" + format + "'");
        }
        // Streamed, not built as one string: a host with thousands of images must scan within the agent's heap.
        ScanReport.write(inventories, stdout, !compact);
        stdout.println();
        stdout.flush();
        return inventories.stream().anyMatch(i -> !i.problems().isEmpty()) ? 1 : 0;
    }

    /**
     * One source as tables: a heading line, its images as {@code docker image ls -a} lists them (one row per tag,
     * {@code <none>} for untagged; IMAGE ID the first 12 hex digits; CREATED relative; SIZE in Docker's units), its
     * containers as {@code docker ps -a} does, and its problems.
     */
    static String table(HostInventory inv, java.time.Instant now) {
        StringBuilder sb = new StringBuilder();
        sb.append(inv.hostId()).append(": ").append(inv.kind()).append(' ').append(inv.source()).append('\n');
        List<List<String>> rows = new ArrayList<>();
        for (io.layeratlas.events.ImageRecord i : inv.images()) {
            String id = i.id().hex().substring(0, 12);
            List<String> refs = i.repoTags().isEmpty() ? List.of("<none>:<none>") : i.repoTags();
            for (String ref : refs) {
                int colon = ref.lastIndexOf(':');
                boolean tagged = colon > ref.lastIndexOf('/');
                rows.add(List.of(tagged ? ref.substring(0, colon) : ref, tagged ? ref.substring(colon + 1) : "<none>", id,
                        Terminal.ago(i.created(), now), Terminal.humanSize(i.size())));
            }
        }
        sb.append(Terminal.table(List.of("repository", "tag", "image id", "created", "size"), rows));
        if (!inv.containers().isEmpty()) {
            List<List<String>> cs = new ArrayList<>();
            for (io.layeratlas.events.ContainerRecord c : inv.containers()) {
                cs.add(List.of(c.id().substring(0, Math.min(12, c.id().length())), String.valueOf(c.image()),
                        Terminal.ago(c.created(), now), String.valueOf(c.state()), String.valueOf(c.name())));
            }
            sb.append('\n').append(Terminal.table(List.of("container id", "image", "created", "state", "names"), cs));
        }
        for (io.layeratlas.events.Problem p : inv.problems()) {
            sb.append("problem: ").append(p.path()).append(": ").append(p.reason()).append('\n');
        }
        return sb.append('\n').toString();
    }
}
