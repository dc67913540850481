package io.splitguard.chaos.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
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
 * <p>A JVM shutdown hook SIGKILLs every child still alive when the harness exits, so an aborted run
 * does not leave brokers behind.
 */
public class NodeProcess {

    private static final Logger LOG = LoggerFactory.getLogger(NodeProcess.class);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
    private static final Set<NodeProcess> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(NodeProcess::killAllOnExit, "chaos-children-reaper"));
    }

    private final String name;
    private final List<String> prefix;
    private final List<String> jvmOptions;
    private final String mainClass;
    private final List<String> args;
    private final Map<String, String> env;
    private final Path log;
    private volatile Process process;
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
        this.name = Objects.requireNonNull(name, "name");
        this.prefix = List.copyOf(prefix);
        this.jvmOptions = List.copyOf(jvmOptions);
        this.mainClass = Objects.requireNonNull(mainClass, "mainClass");
        this.args = List.copyOf(args);
        this.env = Map.copyOf(env);
        this.log = Objects.requireNonNull(log, "log");
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
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(name + " is already running as pid " + process.pid());
        }
        List<String> command = new ArrayList<>(prefix);
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add(mainClass);
        command.addAll(args);
        try {
            Files.createDirectories(log.toAbsolutePath().getParent());
            Files.writeString(
                    log,
                    "=== " + Instant.now() + " starting " + name + ": " + String.join(" ", command)
                            + (extraEnv.isEmpty() ? "" : " (with " + extraEnv + ")") + "\n",
                    StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            builder.environment().put("CLASSPATH", System.getProperty("java.class.path"));
            builder.environment().putAll(env);
            builder.environment().putAll(extraEnv);
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name, e);
        }
        paused = false;
        LIVE.add(this);
        LOG.info("started {} as pid {}{}", name, process.pid(), extraEnv.isEmpty() ? "" : " with " + extraEnv);
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
        Process p = process;
        if (p == null || !p.isAlive()) {
            return;
        }
        p.destroyForcibly();
        awaitExit(p, STOP_TIMEOUT);
        paused = false;
        LOG.info("killed {} (pid {})", name, p.pid());
    }

    /** SIGSTOP: the process freezes (no heartbeats, sockets stay open), like a long GC pause or a hung VM. */
    public synchronized void pause() {
        signal("STOP");
        paused = true;
        LOG.info("paused {} (pid {})", name, process.pid());
    }

    /** SIGCONT after {@link #pause}. */
    public synchronized void resume() {
        signal("CONT");
        paused = false;
        LOG.info("resumed {} (pid {})", name, process.pid());
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
        Process p = process;
        if (p == null || !p.isAlive()) {
            return;
        }
        if (paused) {
            resume();
        }
        p.destroy();
    }

    /** Second half of {@link #stop}: waits for the exit, SIGKILL after {@code timeout}. */
    public void awaitStopped(Duration timeout) {
        Process p;
        synchronized (this) {
            p = process;
        }
        if (p == null) {
            return;
        }
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("{} (pid {}) did not stop within {}; killing it", name, p.pid(), timeout);
                p.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IllegalStateException("interrupted waiting for " + name, e);
        }
        awaitExit(p, STOP_TIMEOUT);
        synchronized (this) {
            paused = false;
        }
        LOG.info("stopped {} (pid {}, exit {})", name, p.pid(), p.exitValue());
    }

    public synchronized boolean isAlive() {
        return process != null && process.isAlive();
    }

    public synchronized boolean isPaused() {
        return paused && isAlive();
    }

    /** PID of the current (or last) process. */
    public synchronized long pid() {
        if (process == null) {
            throw new IllegalStateException(name + " was never started");
        }
        return process.pid();
    }

    /** Exit code of the last process, empty while it runs or before the first start. */
    public synchronized Optional<Integer> exitValue() {
        return process == null || process.isAlive() ? Optional.empty() : Optional.of(process.exitValue());
    }

    public String name() {
        return name;
    }

    public Path log() {
        return log;
    }

    public Map<String, String> env() {
        return env;
    }

    private void signal(String signal) {
        Process p = process;
        if (p == null || !p.isAlive()) {
            throw new IllegalStateException(name + " is not running");
        }
        // p is our child and not yet reaped (isAlive), so its PID cannot have been reused
        Netns.run("kill", "-" + signal, Long.toString(p.pid()));
    }

    private void awaitExit(Process p, Duration timeout) {
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(name + " (pid " + p.pid() + ") still alive after SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for " + name, e);
        } finally {
            if (!p.isAlive()) {
                LIVE.remove(this);
            }
        }
    }

    private static void killAllOnExit() {
        for (NodeProcess node : LIVE) {
            Process p = node.process;
            if (p != null && p.isAlive()) {
                p.destroyForcibly();
            }
        }
    }
}
