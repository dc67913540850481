package io.splitguard.bench;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code redis-server} of the bench's own: a free loopback port, its own directory, no other client.
 * Durability is a setting of the run ({@code off}: {@code --save '' --appendonly no}, the lock lives in
 * memory only; {@code everysec} / {@code always}: the append-only file with that fsync policy, no RDB
 * snapshots), and the report names it.
 */
final class RedisProcess implements AutoCloseable {

    static final String PACKAGE_HINT = "install the Debian package redis-server (apt-get install -y redis-server)"
            + " or pass --redis-server=/path/to/redis-server";

    private final Process process;
    private final int port;
    private final String version;

    private RedisProcess(Process process, int port, String version) {
        this.process = process;
        this.port = port;
        this.version = version;
    }

    /** The binary: {@code configured} when given, else {@code redis-server} on the PATH or in the usual places. */
    static Path find(String configured) {
        if (configured != null && !configured.isBlank()) {
            Path p = Path.of(configured);
            if (Files.isExecutable(p)) {
                return p;
            }
            throw new IllegalStateException("--redis-server=" + configured + " is not an executable file; "
                    + PACKAGE_HINT.substring(0, PACKAGE_HINT.indexOf(" or pass")));
        }
        List<String> dirs =
                new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
        dirs.addAll(List.of("/usr/bin", "/usr/sbin", "/usr/local/bin"));
        for (String dir : dirs) {
            if (!dir.isEmpty()) {
                Path p = Path.of(dir, "redis-server");
                if (Files.isExecutable(p)) {
                    return p;
                }
            }
        }
        throw new IllegalStateException(
                "redis-server not found (looked on the PATH, /usr/bin, /usr/sbin, /usr/local/bin): " + PACKAGE_HINT);
    }

    static RedisProcess start(Path binary, String durability, Path dir, Path log)
            throws IOException, InterruptedException {
        Files.createDirectories(dir);
        String version = versionOf(binary);
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        List<String> cmd = new ArrayList<>(List.of(
                binary.toString(),
                "--bind",
                "127.0.0.1",
                "--port",
                Integer.toString(port),
                "--protected-mode",
                "yes",
                "--daemonize",
                "no",
                "--dir",
                dir.toString(),
                "--save",
                ""));
        switch (durability) {
            case "off" -> cmd.addAll(List.of("--appendonly", "no"));
            case "everysec", "always" -> cmd.addAll(List.of("--appendonly", "yes", "--appendfsync", durability));
            default -> throw new IllegalArgumentException(
                    "--redis-durability is off, everysec or always, not " + durability);
        }
        Process process = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        RedisProcess redis = new RedisProcess(process, port, version);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException(
                        "redis-server exited with code " + process.exitValue() + "; see " + log);
            }
            if (redis.ping()) {
                return redis;
            }
            if (System.nanoTime() > deadline) {
                redis.close();
                throw new IllegalStateException("redis-server did not answer PING within 30 s; see " + log);
            }
            Thread.sleep(100);
        }
    }

    private static String versionOf(Path binary) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(binary.toString(), "--version")
                .redirectErrorStream(true)
                .start();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        }
        p.waitFor(10, TimeUnit.SECONDS);
        return out;
    }

    private boolean ping() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            s.setSoTimeout(1000);
            OutputStream out = s.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            byte[] buf = new byte[16];
            int n = s.getInputStream().read(buf);
            return n > 0 && new String(buf, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG");
        } catch (IOException e) {
            return false;
        }
    }

    int port() {
        return port;
    }

    long pid() {
        return process.pid();
    }

    String uri() {
        return "redis://127.0.0.1:" + port;
    }

    String version() {
        return version;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
