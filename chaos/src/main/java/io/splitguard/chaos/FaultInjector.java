package io.splitguard.chaos;

import io.splitguard.chaos.cluster.BrokerCluster;
import io.splitguard.chaos.cluster.PostgresNode;
import io.splitguard.chaos.cluster.ServiceProcess;
import io.splitguard.chaos.faults.Fault;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out faults against processes this harness started, by PID only, and heals them. Each
 * fault blocks for its duration and heals before returning, so faults never overlap.
 */
final class FaultInjector {

    private static final Logger LOG = LoggerFactory.getLogger(FaultInjector.class);

    private final BrokerCluster brokers;
    private final PostgresNode postgres;
    private final ChaosRun.Services services;

    FaultInjector(BrokerCluster brokers, PostgresNode postgres, ChaosRun.Services services) {
        this.brokers = brokers;
        this.postgres = postgres;
        this.services = services;
    }

    void inject(Fault fault) throws InterruptedException {
        LOG.info("fault: {}", fault);
        int t = fault.target();
        long ms = fault.duration().toMillis();
        switch (fault.kind()) {
            case KILL_TOPOLOGY -> {
                services.topologies.get(t).kill();
                TimeUnit.MILLISECONDS.sleep(ms);
                services.topologies.get(t).restart();
            }
            case PAUSE_TOPOLOGY -> {
                services.topologies.get(t).pause();
                TimeUnit.MILLISECONDS.sleep(ms);
                services.topologies.get(t).resume();
            }
            case WIPE_TOPOLOGY_STATE -> {
                services.topologies.get(t).kill();
                ChaosRun.deleteTree(services.stateDir(t));
                TimeUnit.MILLISECONDS.sleep(ms);
                services.topologies.get(t).restart();
            }
            case KILL_SINK_AFTER_COMMIT -> {
                ServiceProcess sink = services.sinks.get(t);
                arm(services.haltFile(t));
                long deadline = System.currentTimeMillis() + 30_000;
                while (sink.isAlive() && System.currentTimeMillis() < deadline) {
                    TimeUnit.MILLISECONDS.sleep(50);
                }
                if (sink.isAlive()) {
                    LOG.warn("sink {} made no commit within 30 s (no partitions?); killing it instead", t);
                    sink.kill();
                }
                disarm(services.haltFile(t));
                TimeUnit.MILLISECONDS.sleep(ms);
                sink.restart();
            }
            case KILL_GATEWAY -> {
                services.gateways.get(t).kill();
                TimeUnit.MILLISECONDS.sleep(ms);
                services.gateways.get(t).restart();
            }
            case KILL_BROKER -> {
                brokers.kill(t + 1);
                TimeUnit.MILLISECONDS.sleep(ms);
                brokers.restart(t + 1);
            }
            case PAUSE_BROKER -> {
                brokers.pause(t + 1);
                TimeUnit.MILLISECONDS.sleep(ms);
                brokers.resume(t + 1);
            }
            case ISOLATE_BROKER -> {
                brokers.isolate(t + 1);
                TimeUnit.MILLISECONDS.sleep(ms);
                brokers.heal(t + 1);
            }
            case STOP_POSTGRES -> {
                postgres.suspend();
                TimeUnit.MILLISECONDS.sleep(ms);
                postgres.resume();
            }
        }
        LOG.info("healed: {}", fault);
    }

    /** Makes sure every process runs and every broker is reachable again, whatever happened. */
    void healAll() {
        for (int node = 1; node <= brokers.size(); node++) {
            if (brokers.isIsolated(node)) {
                brokers.heal(node);
            }
            if (brokers.isPaused(node)) {
                brokers.resume(node);
            }
            if (!brokers.isRunning(node)) {
                brokers.restart(node);
            }
        }
        services.topologies.stream().filter(ServiceProcess::isPaused).forEach(ServiceProcess::resume);
        for (ServiceProcess p : services.topologies) {
            if (!p.isAlive()) {
                p.restart();
            }
        }
        for (ServiceProcess p : services.sinks) {
            if (!p.isAlive()) {
                p.restart();
            }
        }
        if (!postgres.isRunning()) {
            postgres.resume();
        }
    }

    private static void arm(java.nio.file.Path file) {
        try {
            Files.writeString(file, "armed");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void disarm(java.nio.file.Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
