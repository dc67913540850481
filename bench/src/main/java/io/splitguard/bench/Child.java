package io.splitguard.bench;

import io.splitguard.infra.ChildJvm;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A server JVM started by the harness ({@link ChildJvm}) that speaks a line protocol: its stdout
 * lines are queued for the harness to read, its stderr goes to a log file, and it is told to stop
 * through its stdin.
 */
final class Child implements AutoCloseable {

    private static final String EOF = "\u0000EOF";

    private final String name;
    private final ChildJvm process;
    private final Writer stdin;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    private Child(String name, ChildJvm process) {
        this.name = name;
        this.process = process;
        this.stdin = new OutputStreamWriter(process.stdin(), StandardCharsets.UTF_8);
        Thread reader = new Thread(this::pump, "bench-child-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    static Child start(
            String name,
            List<String> jvmOptions,
            String classpath,
            String mainClass,
            List<String> args,
            Map<String, String> env,
            Path log) {
        return new Child(
                name,
                ChildJvm.start(ChildJvm.Spec.of(name, mainClass, env, log)
                        .withJvmOptions(jvmOptions)
                        .withClasspath(classpath)
                        .withArgs(args)
                        .withPipedStdout()));
    }

    private void pump() {
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.stdout(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                lines.add(line);
            }
        } catch (IOException e) {
            // the process went away; signalled below
        }
        lines.add(EOF);
    }

    long pid() {
        return process.pid();
    }

    /** Next stdout line starting with {@code prefix}; other lines are skipped. */
    String await(String prefix, long timeoutSeconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (true) {
            long left = deadline - System.nanoTime();
            String line = left <= 0 ? null : lines.poll(left, TimeUnit.NANOSECONDS);
            if (line == null) {
                throw new IllegalStateException(name + ": no '" + prefix + "' line within " + timeoutSeconds + " s");
            }
            if (line.equals(EOF)) {
                throw new IllegalStateException(name + " exited (code " + exitCode() + ") before '" + prefix + "'");
            }
            if (line.startsWith(prefix)) {
                return line;
            }
        }
    }

    /** Every stdout line up to (not including) one starting with {@code end}. */
    List<String> collectUntil(String end, long timeoutSeconds) throws InterruptedException {
        List<String> out = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (true) {
            long left = deadline - System.nanoTime();
            String line = left <= 0 ? null : lines.poll(left, TimeUnit.NANOSECONDS);
            if (line == null || line.equals(EOF)) {
                throw new IllegalStateException(name + ": no '" + end + "' line");
            }
            if (line.startsWith(end)) {
                return out;
            }
            out.add(line);
        }
    }

    void send(String command) throws IOException {
        stdin.write(command + "\n");
        stdin.flush();
    }

    private String exitCode() {
        return process.exitValue().map(String::valueOf).orElse("still running");
    }

    @Override
    public void close() {
        try {
            send("quit");
            stdin.close();
        } catch (IOException e) {
            // already gone
        }
        if (!process.awaitExit(Duration.ofSeconds(30))) {
            process.stop(Duration.ofSeconds(10));
        }
    }
}
