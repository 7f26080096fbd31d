package io.layeratlas.agent;

import io.layeratlas.events.HostInventory;
import io.layeratlas.ingest.Scanner;
import io.layeratlas.ingest.agent.Agent;
import io.layeratlas.ingest.agent.AgentConfig;
import io.layeratlas.ingest.agent.InventorySource;

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
        Scanner scanner = new Scanner(config.readPackages());
        AtomicBoolean first = new AtomicBoolean(true);
        InventorySource reading = InventorySource.of(scanner, config);
        InventorySource source = hostId -> {
            InventorySource.Scan scan = reading.scan(hostId);
            if (first.getAndSet(false)) {
                firstScan.accept(scan.inventory());
            }
            return scan;
        };
        Agent agent = new Agent(config, source);
        agent.start();
        return agent;
    }
}
