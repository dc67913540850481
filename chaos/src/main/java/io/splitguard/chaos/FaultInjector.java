package io.splitguard.chaos;

import io.splitguard.chaos.cluster.BrokerCluster;
import io.splitguard.chaos.cluster.Faketime;
import io.splitguard.chaos.cluster.PostgresNode;
import io.splitguard.chaos.cluster.ServiceProcess;
import io.splitguard.chaos.cluster.StateFs;
import io.splitguard.chaos.faults.Fault;
import io.splitguard.chaos.faults.InjectedFault;
import io.splitguard.chaos.workload.Workload;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out faults against processes this harness started, by PID only, and heals them. Each
 * fault blocks for its duration and heals before returning, so faults never overlap.
 */
final class FaultInjector {

    private static final Logger LOG = LoggerFactory.getLogger(FaultInjector.class);
    private static final double MIB = 1024 * 1024;
    /**
     * A gateway JVM needs 40 to 70 s to come up on a loaded 2-core machine, and under libfaketime (every
     * clock read goes through it) up to twice that.
     */
    private static final Duration SKEWED_GATEWAY_START = Duration.ofSeconds(240);
    /** How long a topology instance gets to recover by itself once its disk has space again. */
    static final Duration RECOVERY_WAIT = Duration.ofSeconds(120);
    /** No new failure in its log for this long counts as recovered. */
    static final Duration QUIET = Duration.ofSeconds(15);

    private final BrokerCluster brokers;
    private final PostgresNode postgres;
    private final ChaosRun.Services services;
    private final Workload workload;
    /** libfaketime, when the profile has {@link FaultKind#GATEWAY_CLOCK_SKEW}; null otherwise. */
    private final Path faketime;
    /** What the harness saw during the fault being applied, for its report line. */
    private String note = "";

    FaultInjector(
            BrokerCluster brokers,
            PostgresNode postgres,
            ChaosRun.Services services,
            Workload workload,
            Path faketime) {
        this.brokers = brokers;
        this.postgres = postgres;
        this.services = services;
        this.workload = workload;
        this.faketime = faketime;
    }

    InjectedFault inject(Fault fault) throws InterruptedException {
        LOG.info("fault: {}", fault);
        note = "";
        long injectedAt = System.currentTimeMillis();
        long healedAt = apply(fault);
        LOG.info("healed: {}{}", fault, note.isEmpty() ? "" : ": " + note);
        return new InjectedFault(fault, injectedAt, healedAt, note);
    }

    /** Carries out the fault and heals it; returns when the healing step began (epoch ms). */
    private long apply(Fault fault) throws InterruptedException {
        int t = fault.target();
        long ms = fault.duration().toMillis();
        long healStartedAt;
        switch (fault.kind()) {
                // the topology faults strike the checkpoint topology instance of the same region at once
            case KILL_TOPOLOGY -> {
                services.topologies.get(t).kill();
                services.checkpoints.get(t).kill();
                TimeUnit.MILLISECONDS.sleep(ms);
                healStartedAt = System.currentTimeMillis();
                services.topologies.get(t).restart();
                services.checkpoints.get(t).restart();
            }
            case PAUSE_TOPOLOGY -> {
                services.topologies.get(t).pause();
                services.checkpoints.get(t).pause();
                TimeUnit.MILLISECONDS.sleep(ms);
                healStartedAt = System.currentTimeMillis();
                services.topologies.get(t).resume();
                services.checkpoints.get(t).resume();
            }
            case WIPE_TOPOLOGY_STATE -> {
                services.topologies.get(t).kill();
                services.checkpoints.get(t).kill();
                ChaosRun.deleteTree(services.stateDir(t));
                ChaosRun.deleteTree(services.checkpointStateDir(t));
                TimeUnit.MILLISECONDS.sleep(ms);
                healStartedAt = System.currentTimeMillis();
                services.topologies.get(t).restart();
                services.checkpoints.get(t).restart();
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
            case GATEWAY_CLOCK_SKEW -> healStartedAt = skewGatewayClock(t, fault.clockOffset(), ms);
            case TOPOLOGY_STATE_DIR_FULL -> healStartedAt = fillStateDir(t, ms);
            default -> throw new IllegalArgumentException("no injector for " + fault.kind());
        }
        return healStartedAt;
    }

    /**
     * Restarts gateway {@code t} under libfaketime with its wall clock moved by {@code offset}, lets it
     * serve for {@code ms} once it answers, then restarts it on the true clock. Fails (a harness error)
     * when the gateway does not come up or its clock is visibly not the one asked for.
     */
    private long skewGatewayClock(int t, Duration offset, long ms) throws InterruptedException {
        Objects.requireNonNull(faketime, "GATEWAY_CLOCK_SKEW without libfaketime");
        ServiceProcess gateway = services.gateways.get(t);
        String url = services.gatewayUrl(t);
        gateway.stop();
        long startedAt = System.currentTimeMillis();
        gateway.restartWith(Faketime.env(faketime, offset));
        services.awaitGateway(t, SKEWED_GATEWAY_START);
        long upAfterMs = System.currentTimeMillis() - startedAt;
        // a loaded machine may let a probe time out: a few tries
        Optional<Duration> seen = Optional.empty();
        for (int attempt = 0; attempt < 3 && seen.isEmpty(); attempt++) {
            seen = clockOf(url);
        }
        if (seen.isPresent() && seen.get().minus(offset).abs().compareTo(Duration.ofMinutes(1)) > 0) {
            throw new IllegalStateException(gateway.name() + " runs under libfaketime with " + Fault.offset(offset)
                    + " but its Date header is " + Fault.offset(seen.get()) + " off: the clock is not skewed");
        }
        Map<Integer, Long> before = workload.answers(url);
        TimeUnit.MILLISECONDS.sleep(ms);
        Map<Integer, Long> during = difference(workload.answers(url), before);
        long healStartedAt = System.currentTimeMillis();
        gateway.stop();
        gateway.restart();
        long total = during.values().stream().mapToLong(Long::longValue).sum();
        note = gateway.name() + " restarted with its clock " + Fault.offset(offset) + " (FAKETIME "
                + Faketime.env(faketime, offset).get("FAKETIME") + "), up in " + upAfterMs / 1000
                + " s, its HTTP Date header " + seen.map(Fault::offset).orElse("(unread)") + " off; it answered "
                + total + " requests in " + ms / 1000 + " s: " + byClass(during);
        return healStartedAt;
    }

    /**
     * Fills topology {@code t}'s state filesystem for {@code ms} (taking back any space freed meanwhile),
     * then deletes the filler and waits for the instance to recover by itself; if it does not, it is
     * restarted, and the note says so, with what its log and threads showed.
     */
    private long fillStateDir(int t, long ms) throws InterruptedException {
        ServiceProcess topology = services.topologies.get(t);
        StateFs fs = services.stateFs.get(t);
        long logFrom = size(topology.log());
        double usedBefore = fs.usedBytes() / MIB;
        long filled = fs.fill();
        long takenBack = 0;
        long deadline = System.currentTimeMillis() + ms;
        while (System.currentTimeMillis() < deadline) {
            TimeUnit.MILLISECONDS.sleep(Math.min(500, Math.max(1, deadline - System.currentTimeMillis())));
            takenBack += fs.fill();
        }
        long healStartedAt = System.currentTimeMillis();
        long logAtHeal = size(topology.log());
        fs.clear();
        TopologyLog during = TopologyLog.read(topology.log(), logFrom, logAtHeal);
        StringBuilder n = new StringBuilder(String.format(
                Locale.ROOT,
                "%s: %.1f MiB used of %d, filler %.1f MiB (+%.1f MiB freed and taken back); while full: %s",
                topology.name(),
                usedBefore,
                fs.sizeMb(),
                filled / MIB,
                takenBack / MIB,
                during.describe()));
        String recovery = awaitRecovery(topology, logFrom, logAtHeal, healStartedAt);
        n.append("; after the space returned: ").append(recovery);
        note = n.toString();
        return healStartedAt;
    }

    /**
     * Whether topology {@code topology} works again after its disk had space again: alive, no new failure
     * for {@link #QUIET} and, if anything failed, its last state change is to RUNNING. If that does not
     * happen within {@link #RECOVERY_WAIT}, its threads are dumped and it is restarted.
     */
    private String awaitRecovery(ServiceProcess topology, long logFrom, long logAtHeal, long healStartedAt)
            throws InterruptedException {
        long deadline = healStartedAt + RECOVERY_WAIT.toMillis();
        long lastFailures = -1;
        long quietSince = System.currentTimeMillis();
        // the state the client was in before the fault, should it not change during it
        String before = TopologyLog.read(topology.log(), 0, logFrom).lastState();
        TopologyLog since = TopologyLog.read(topology.log(), logFrom, size(topology.log()));
        while (System.currentTimeMillis() < deadline && topology.isAlive()) {
            since = TopologyLog.read(topology.log(), logFrom, size(topology.log()));
            if (since.failures() + since.noSpaceLines() != lastFailures) {
                lastFailures = since.failures() + since.noSpaceLines();
                quietSince = System.currentTimeMillis();
            }
            String state = since.lastState().isEmpty() ? before : since.lastState();
            boolean settled = lastFailures == 0 || state.equals("RUNNING");
            if (settled && System.currentTimeMillis() - quietSince >= QUIET.toMillis()) {
                TopologyLog after = TopologyLog.read(topology.log(), logAtHeal, size(topology.log()));
                return String.format(
                        Locale.ROOT,
                        "recovered by itself: state %s and no new failure for %d s, %.1f s after the space"
                                + " returned (since it returned: %s)",
                        state,
                        QUIET.toSeconds(),
                        (System.currentTimeMillis() - healStartedAt) / 1000.0,
                        after.describe());
            }
            TimeUnit.MILLISECONDS.sleep(500);
        }
        Path dump = threadDump(topology);
        TopologyLog after = TopologyLog.read(topology.log(), logAtHeal, size(topology.log()));
        String what = String.format(
                Locale.ROOT,
                "NOT RECOVERED BY ITSELF %s (last state %s; since the space returned: %s; threads in %s);"
                        + " restarted it",
                topology.isAlive()
                        ? "within " + RECOVERY_WAIT.toSeconds() + " s"
                        : "(its process exited, code " + topology.exitValue().orElse(-1) + ")",
                since.lastState().isEmpty() ? before + " (unchanged)" : since.lastState(),
                after.describe(),
                dump == null ? "(no dump)" : dump.getFileName());
        LOG.warn("{}: {}", topology.name(), what);
        topology.stop();
        topology.restart();
        return what;
    }

    /** {@code jcmd <pid> Thread.print} into a file beside the logs; null when that fails. */
    private static Path threadDump(ServiceProcess process) {
        if (!process.isAlive()) {
            return null;
        }
        Path file = process.log().resolveSibling(process.name() + "-threads-" + System.currentTimeMillis() + ".txt");
        try {
            Process jcmd = new ProcessBuilder(
                            Path.of(System.getProperty("java.home"), "bin", "jcmd")
                                    .toString(),
                            Long.toString(process.pid()),
                            "Thread.print")
                    .redirectErrorStream(true)
                    .redirectOutput(file.toFile())
                    .start();
            if (!jcmd.waitFor(60, TimeUnit.SECONDS)) {
                jcmd.destroyForcibly();
            }
            return file;
        } catch (IOException e) {
            LOG.warn("cannot dump the threads of {}: {}", process.name(), e.getMessage());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The offset of the clock of the server at {@code url} (its HTTP Date header against ours), if it sends one. */
    private static Optional<Duration> clockOf(String url) {
        try {
            long before = System.currentTimeMillis();
            java.net.http.HttpResponse<Void> response = java.net.http.HttpClient.newHttpClient()
                    .send(
                            java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + "/health/live"))
                                    .timeout(Duration.ofSeconds(10))
                                    .build(),
                            java.net.http.HttpResponse.BodyHandlers.discarding());
            long after = System.currentTimeMillis();
            return response.headers().firstValue("Date").map(date -> {
                long theirs = ZonedDateTime.parse(date, DateTimeFormatter.RFC_1123_DATE_TIME)
                        .toInstant()
                        .toEpochMilli();
                // the header has whole seconds: round to them
                return Duration.ofSeconds(Math.round((theirs - (before + after) / 2.0) / 1000.0));
            });
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot read the clock of {}: {}", url, e.toString());
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    static Map<Integer, Long> difference(Map<Integer, Long> now, Map<Integer, Long> before) {
        Map<Integer, Long> d = new TreeMap<>();
        now.forEach((status, n) -> {
            long delta = n - before.getOrDefault(status, 0L);
            if (delta != 0) {
                d.put(status, delta);
            }
        });
        return d;
    }

    /** {@code 2xx 1203, 401 0, other 4xx 2, 5xx 10, no answer 3}: the answers a gateway gave, by class. */
    static String byClass(Map<Integer, Long> answers) {
        long ok = 0;
        long unauthorized = 0;
        long refused = 0;
        long indeterminate = 0;
        long none = 0;
        for (Map.Entry<Integer, Long> e : answers.entrySet()) {
            int status = e.getKey();
            if (status == 0) {
                none += e.getValue();
            } else if (status / 100 == 2) {
                ok += e.getValue();
            } else if (status == 401) {
                unauthorized += e.getValue();
            } else if (status / 100 == 4) {
                refused += e.getValue();
            } else {
                indeterminate += e.getValue();
            }
        }
        return "2xx " + ok + ", 401 " + unauthorized + ", other 4xx " + refused + ", 5xx " + indeterminate
                + ", no answer " + none;
    }

    private static long size(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
        services.checkpoints.stream().filter(ServiceProcess::isPaused).forEach(ServiceProcess::resume);
        for (ServiceProcess p : services.topologies) {
            if (!p.isAlive()) {
                p.restart();
            }
        }
        for (ServiceProcess p : services.checkpoints) {
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
        services.stateFs.forEach(StateFs::clear);
        for (ServiceProcess p : services.gateways) {
            if (!p.isAlive()) {
                p.restart();
            }
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
