package io.splitguard.chaos;

import io.splitguard.chaos.cluster.BrokerCluster;
import io.splitguard.chaos.cluster.PostgresNode;
import io.splitguard.chaos.cluster.ServiceProcess;
import io.splitguard.chaos.faults.Fault;
import io.splitguard.chaos.faults.InjectedFault;
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

    InjectedFault inject(Fault fault) throws InterruptedException {
        LOG.info("fault: {}", fault);
        long injectedAt = System.currentTimeMillis();
        long healedAt = apply(fault);
        LOG.info("healed: {}", fault);
        return new InjectedFault(fault, injectedAt, healedAt);
    }

    /** Carries out the fault and heals it; returns when the healing step began (epoch ms). */
    private long apply(Fault fault) throws InterruptedException {
        int t = fault.target();
        long ms = fault.duration().toMillis();
        long healStartedAt;
        switch (fault.kind()) {
            case KILL_TOPOLOGY -> {
                services.topologies.get(t).kill();
                TimeUnit.MILLISECONDS.sleep(ms);
                healStartedAt = System.currentTimeMillis();
                services.topologies.get(t).restart();
            }
            case PAUSE_TOPOLOGY -> {
                services.topologies.get(t).pause();
                TimeUnit.MILLISECONDS.sleep(ms);
                healStartedAt = System.currentTimeMillis();
                services.topologies.get(t).resume();
            }
            case WIPE_TOPOLOGY_STATE -> {
                services.topologies.get(t).kill();
                ChaosRun.deleteTree(services.stateDir(t));
                TimeUnit.MILLISECONDS.sleep(ms);
                healStartedAt = System.currentTimeMillis();
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
                healStartedAt = System.currentTimeMillis();
                sink.restart();
            }
            case KILL_GATEWAY -> {
                services.gateways.get(t).kill();
                TimeUnit.MILLISECONDS.sleep(ms);
                healStartedAt = System.currentTimeMillis();
                services.gateways.get(t).restart();
            }
            case KILL_BROKER -> {
                brokers.kill(t + 1);
                TimeUnit.MILLISECONDS.sleep(ms);
                healStartedAt = System.currentTimeMillis();
                brokers.restart(t + 1);
            }
            case PAUSE_BROKER -> {
                brokers.pause(t + 1);
                TimeUnit.MILLISECONDS.sleep(ms);
                healStartedAt = System.currentTimeMillis();
                brokers.resume(t + 1);
            }
            case ISOLATE_BROKER -> {
                brokers.isolate(t + 1);
                TimeUnit.MILLISECONDS.sleep(ms);
                healStartedAt = System.currentTimeMillis();
                brokers.heal(t + 1);
            }
            case STOP_POSTGRES -> {
                postgres.suspend();
                TimeUnit.MILLISECONDS.sleep(ms);
                healStartedAt = System.currentTimeMillis();
                postgres.resume();
            }
            default -> throw new IllegalArgumentException("no injector for " + fault.kind());
        }
        return healStartedAt;
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
