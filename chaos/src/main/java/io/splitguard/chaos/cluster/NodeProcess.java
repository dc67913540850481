package io.splitguard.chaos.cluster;

import io.splitguard.infra.ChildJvm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JVM that this harness starts, optionally inside a network namespace, and signals by its own
 * PID only: SIGKILL, SIGSTOP/SIGCONT and SIGTERM go to the {@link Process} we started, never to
 * anything found by name. Output (stdout and stderr) is appended to one log file, across restarts.
 *
 * <p>The child runs the harness JVM's own classpath (passed as {@code CLASSPATH}, which keeps the
 * command line short enough to read in {@code ps}). {@code ip netns exec} execs the program without
 * forking, so {@link #pid()} is the JVM's PID in either case.
 *
 * <p>Each start is a {@link ChildJvm}, whose shutdown hook SIGKILLs every child still alive when the
 * harness exits, so an aborted run does not leave brokers behind.
 */
public class NodeProcess {

    private static final Logger LOG = LoggerFactory.getLogger(NodeProcess.class);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

    private final ChildJvm.Spec spec;
    private volatile ChildJvm child;
    private boolean paused;

    /**
     * @param prefix command that wraps the JVM, e.g. {@link Netns#execPrefix}; empty for the root namespace
     * @param env added to the harness's own environment
     */
    public NodeProcess(
            String name,
            List<String> prefix,
            List<String> jvmOptions,
            String mainClass,
            List<String> args,
            Map<String, String> env,
            Path log) {
        this.spec = ChildJvm.Spec.of(name, mainClass, env, log)
                .withPrefix(prefix)
                .withJvmOptions(jvmOptions)
                .withArgs(args);
    }

    /** Starts the process; fails if one we started is still alive. */
    public synchronized void start() {
        start(Map.of());
    }

    /**
     * Starts the process with {@code extraEnv} on top of its own settings, for this start only (e.g. a
     * JVM under libfaketime); fails if one we started is still alive.
     */
    private void start(Map<String, String> extraEnv) {
        ChildJvm current = child;
        if (current != null && current.isAlive()) {
            throw new IllegalStateException(spec.name() + " is already running as pid " + current.pid());
        }
        child = ChildJvm.start(spec, extraEnv);
        paused = false;
        LOG.info("started {} as pid {}{}", spec.name(), child.pid(), extraEnv.isEmpty() ? "" : " with " + extraEnv);
    }

    /** Starts a fresh process with the same settings; the previous one must be dead (after {@link #kill} or {@link #stop}). */
    public synchronized void restart() {
        start();
    }

    /**
     * Like {@link #restart()}, with {@code extraEnv} added for this process only; the next {@link
     * #restart()} starts without it.
     */
    public synchronized void restartWith(Map<String, String> extraEnv) {
        start(Map.copyOf(extraEnv));
    }

    /** SIGKILL, then waits until the process is gone: a crash without any shutdown work. */
    public synchronized void kill() {
        ChildJvm c = child;
        if (c == null || !c.isAlive()) {
            return;
        }
        c.kill();
        paused = false;
        LOG.info("killed {} (pid {})", spec.name(), c.pid());
    }

    /** SIGSTOP: the process freezes (no heartbeats, sockets stay open), like a long GC pause or a hung VM. */
    public synchronized void pause() {
        running().signal("STOP");
        paused = true;
        LOG.info("paused {} (pid {})", spec.name(), child.pid());
    }

    /** SIGCONT after {@link #pause}. */
    public synchronized void resume() {
        running().signal("CONT");
        paused = false;
        LOG.info("resumed {} (pid {})", spec.name(), child.pid());
    }

    /** SIGTERM and waits up to 60 s for a clean exit, then SIGKILL. */
    public void stop() {
        requestStop();
        awaitStopped(STOP_TIMEOUT);
    }

    /**
     * First half of {@link #stop}: SIGTERM (a paused process is resumed first, or the signal would
     * wait). Lets a caller stop several processes at the same time.
     */
    public synchronized void requestStop() {
        ChildJvm c = child;
        if (c == null || !c.isAlive()) {
            return;
        }
        if (paused) {
            resume();
        }
        c.terminate();
    }

    /** Second half of {@link #stop}: waits for the exit, SIGKILL after {@code timeout}. */
    public void awaitStopped(Duration timeout) {
        ChildJvm c;
        synchronized (this) {
            c = child;
        }
        if (c == null) {
            return;
        }
        if (!c.awaitExit(timeout)) {
            LOG.warn("{} (pid {}) did not stop within {}; killing it", spec.name(), c.pid(), timeout);
            c.kill();
        }
        synchronized (this) {
            paused = false;
        }
        LOG.info(
                "stopped {} (pid {}, exit {})",
                spec.name(),
                c.pid(),
                c.exitValue().orElse(-1));
    }

    public synchronized boolean isAlive() {
        return child != null && child.isAlive();
    }

    public synchronized boolean isPaused() {
        return paused && isAlive();
    }

    /** PID of the current (or last) process. */
    public synchronized long pid() {
        if (child == null) {
            throw new IllegalStateException(spec.name() + " was never started");
        }
        return child.pid();
    }

    /** Exit code of the last process, empty while it runs or before the first start. */
    public synchronized Optional<Integer> exitValue() {
        return child == null ? Optional.empty() : child.exitValue();
    }

    public String name() {
        return spec.name();
    }

    public Path log() {
        return spec.log();
    }

    public Map<String, String> env() {
        return spec.env();
    }

    private ChildJvm running() {
        ChildJvm c = child;
        if (c == null || !c.isAlive()) {
            throw new IllegalStateException(spec.name() + " is not running");
        }
        return c;
    }
}
