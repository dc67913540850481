package io.splitguard.infra;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One Java process started by this project (a service under a crash test, a broker or service of the
 * chaos cluster, a server of the bench), signalled by its own PID only: SIGKILL, SIGTERM, SIGSTOP and
 * SIGCONT go to the {@link Process} we started, never to anything found by name.
 *
 * <p>The child runs with the given classpath (by default this JVM's), passed in {@code CLASSPATH}
 * so its command line stays short enough to read in {@code ps}. Its stdout and stderr are appended
 * to a log file, or its stdout is kept for the caller ({@link Spec#pipeStdout()}). A shutdown hook
 * SIGKILLs every child still alive when this JVM exits, so an aborted run leaves none behind.
 */
public final class ChildJvm {

    private static final Set<ChildJvm> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ChildJvm::killAllOnExit, "splitguard-children-reaper"));
    }

    /**
     * What to start.
     *
     * @param prefix command wrapping the JVM (e.g. {@code ip netns exec ns}); empty for none
     * @param classpath the child's classpath
     * @param env added to this JVM's own environment
     * @param log where stdout (unless piped) and stderr are appended
     * @param pipeStdout true: stdout is read through {@link #stdout()} instead of going to the log
     */
    public record Spec(
            String name,
            List<String> prefix,
            List<String> jvmOptions,
            String classpath,
            String mainClass,
            List<String> args,
            Map<String, String> env,
            Path log,
            boolean pipeStdout) {

        public Spec {
            Objects.requireNonNull(name, "name");
            prefix = List.copyOf(prefix);
            jvmOptions = List.copyOf(jvmOptions);
            Objects.requireNonNull(classpath, "classpath");
            Objects.requireNonNull(mainClass, "mainClass");
            args = List.copyOf(args);
            env = Map.copyOf(env);
            Objects.requireNonNull(log, "log");
        }

        /** {@code mainClass} on this JVM's classpath, output to {@code log}, nothing else. */
        public static Spec of(String name, String mainClass, Map<String, String> env, Path log) {
            return new Spec(
                    name,
                    List.of(),
                    List.of(),
                    System.getProperty("java.class.path"),
                    mainClass,
                    List.of(),
                    env,
                    log,
                    false);
        }

        public Spec withPrefix(List<String> value) {
            return new Spec(name, value, jvmOptions, classpath, mainClass, args, env, log, pipeStdout);
        }

        public Spec withJvmOptions(List<String> value) {
            return new Spec(name, prefix, value, classpath, mainClass, args, env, log, pipeStdout);
        }

        public Spec withClasspath(String value) {
            return new Spec(name, prefix, jvmOptions, value, mainClass, args, env, log, pipeStdout);
        }

        public Spec withArgs(List<String> value) {
            return new Spec(name, prefix, jvmOptions, classpath, mainClass, value, env, log, pipeStdout);
        }

        public Spec withPipedStdout() {
            return new Spec(name, prefix, jvmOptions, classpath, mainClass, args, env, log, true);
        }

        List<String> command() {
            List<String> command = new ArrayList<>(prefix);
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(jvmOptions);
            command.add(mainClass);
            command.addAll(args);
            return command;
        }
    }

    private final Spec spec;
    private final Process process;

    private ChildJvm(Spec spec, Process process) {
        this.spec = spec;
        this.process = process;
    }

    public static ChildJvm start(Spec spec) {
        return start(spec, Map.of());
    }

    /** Starts {@code spec} with {@code extraEnv} on top of its environment (e.g. a JVM under libfaketime). */
    public static ChildJvm start(Spec spec, Map<String, String> extraEnv) {
        List<String> command = spec.command();
        try {
            Path log = spec.log().toAbsolutePath();
            Files.createDirectories(log.getParent());
            Files.writeString(
                    log,
                    "=== " + Instant.now() + " starting " + spec.name() + ": " + String.join(" ", command)
                            + (extraEnv.isEmpty() ? "" : " (with " + extraEnv + ")") + "\n",
                    StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectOutput(
                            spec.pipeStdout()
                                    ? ProcessBuilder.Redirect.PIPE
                                    : ProcessBuilder.Redirect.appendTo(log.toFile()));
            if (!spec.pipeStdout()) {
                builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            }
            Map<String, String> env = new LinkedHashMap<>(spec.env());
            env.putAll(extraEnv);
            builder.environment().put("CLASSPATH", spec.classpath());
            builder.environment().putAll(env);
            ChildJvm child = new ChildJvm(spec, builder.start());
            LIVE.add(child);
            return child;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + spec.name(), e);
        }
    }

    public Spec spec() {
        return spec;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Exit code, empty while it runs. */
    public Optional<Integer> exitValue() {
        return process.isAlive() ? Optional.empty() : Optional.of(process.exitValue());
    }

    /** The child's stdout, when {@link Spec#pipeStdout()}. */
    public InputStream stdout() {
        if (!spec.pipeStdout()) {
            throw new IllegalStateException(spec.name() + "'s stdout goes to its log");
        }
        return process.getInputStream();
    }

    /** The child's stdin, when {@link Spec#pipeStdout()} (otherwise it reads /dev/null). */
    public OutputStream stdin() {
        if (!spec.pipeStdout()) {
            throw new IllegalStateException(spec.name() + " reads no input");
        }
        return process.getOutputStream();
    }

    /** SIGKILL, then waits until it is gone: a crash without any shutdown work. */
    public void kill() {
        process.destroyForcibly();
        if (!awaitExit(Duration.ofSeconds(60))) {
            throw new IllegalStateException(spec.name() + " (pid " + pid() + ") still alive after SIGKILL");
        }
    }

    /** SIGTERM: the child's shutdown hooks run; see {@link #awaitExit}. */
    public void terminate() {
        process.destroy();
    }

    /** SIGTERM, waits up to {@code timeout} for a clean exit, then SIGKILL; true when it exited cleanly in time. */
    public boolean stop(Duration timeout) {
        if (!process.isAlive()) {
            return true;
        }
        terminate();
        if (awaitExit(timeout)) {
            return true;
        }
        kill();
        return false;
    }

    /** Sends {@code signal} (e.g. {@code STOP}, {@code CONT}) to this process, which must be alive. */
    public void signal(String signal) {
        if (!process.isAlive()) {
            throw new IllegalStateException(spec.name() + " is not running");
        }
        // the process is our child and not yet reaped (alive), so its PID cannot have been reused
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
                    .redirectErrorStream(true)
                    .start();
            String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + process.pid() + " failed: " + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot signal " + spec.name(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted signalling " + spec.name(), e);
        }
    }

    /** Waits up to {@code timeout} for the process to exit; true when it did. */
    public boolean awaitExit(Duration timeout) {
        try {
            boolean exited = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (exited) {
                LIVE.remove(this);
            }
            return exited;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for " + spec.name(), e);
        }
    }

    private static void killAllOnExit() {
        for (ChildJvm child : LIVE) {
            if (child.process.isAlive()) {
                child.process.destroyForcibly();
            }
        }
    }
}
