package io.layeratlas.agent;

import io.layeratlas.events.HostInventory;
import io.layeratlas.events.SourceKind;
import io.layeratlas.ingest.Scanner;
import io.layeratlas.ingest.SourceScan;
import io.layeratlas.ingest.agent.Agent;
import io.layeratlas.ingest.agent.AgentConfig;
import io.layeratlas.ingest.agent.InventorySource;
import io.layeratlas.ingest.packages.LayerContents;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/** Starts an agent on the storage readers' {@link Scanner}; shared by {@code agent} and {@code up}. */
public final class Agents {
    private Agents() {
    }

    /**
     * @param firstScan told the first inventory read, so the command can say what it found
     */
    public static Agent start(AgentConfig config, Consumer<HostInventory> firstScan) {
        Scanner scanner = new Scanner();
        AtomicBoolean first = new AtomicBoolean(true);
        InventorySource source = hostId -> {
            SourceScan scan = scanner.read(config.source(), config.kind(), hostId);
            if (first.getAndSet(false)) {
                firstScan.accept(scan.inventory());
            }
            InventorySource.Scan out = InventorySource.Scan.ofBytes(scan.inventory(), scan.configs());
            return config.readPackages()
                    ? out.withLayerContents(LayerContents.of(SourceKind.fromId(scan.inventory().kind()), config.source()))
                    : out;
        };
        Agent agent = new Agent(config, source);
        agent.start();
        return agent;
    }
}
