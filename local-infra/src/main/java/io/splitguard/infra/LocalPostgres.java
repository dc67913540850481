package io.splitguard.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A throwaway PostgreSQL server started from the machine's own server binaries ({@code initdb},
 * {@code pg_ctl}), listening on 127.0.0.1 only, with trust authentication for user {@code postgres}.
 * Run as root, it runs the server as an unprivileged OS user (PostgreSQL refuses root).
 *
 * <p>Binaries are looked up in {@code $SPLITGUARD_PG_BIN}, then the newest
 * {@code /usr/lib/postgresql/N/bin}, then {@code PATH}; a machine without any uses the binaries that
 * come with the build as a Maven artifact ({@link BundledPostgres}).
 */
public final class LocalPostgres implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LocalPostgres.class);
    private static final Pattern DB_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    private static final String USER = "postgres";

    private final Path binDir;
    private final Path dataDir;
    private final int port;
    /** The OS user the server runs as when started by root; null: the current user. */
    private final String osUser;

    private boolean running;
    private boolean suspended;
    private String serverOptions;

    private LocalPostgres(Path binDir, Path dataDir, int port, String osUser) {
        this.binDir = binDir;
        this.dataDir = dataDir;
        this.port = port;
        this.osUser = osUser;
    }

    /**
     * Initializes a fresh cluster in a new directory below {@code parent} and starts it, with the
     * machine's server binaries when it has them, else with those that come with the build (see
     * {@link BundledPostgres}).
     *
     * @param durable false turns fsync off: for tests, where a crash of the machine loses nothing of value
     */
    public static LocalPostgres start(Path parent, boolean durable) {
        Path bin = findBinaries()
                .or(() -> BundledPostgres.binaries(isRoot()))
                .orElseThrow(
                        () -> new IllegalStateException(
                                "PostgreSQL server binaries (initdb, pg_ctl) not found and none for this machine ("
                                        + BundledPostgres.resourceName() + ") on the classpath: install them"
                                        + " (Debian: apt-get install -y postgresql), set SPLITGUARD_PG_BIN, or give DATABASE_URL"));
        return start(parent, durable, bin);
    }

    /** Like {@link #start(Path, boolean)}, always with the binaries that come with the build. */
    public static LocalPostgres startBundled(Path parent, boolean durable) {
        Path bin = BundledPostgres.binaries(isRoot())
                .orElseThrow(() -> new IllegalStateException(
                        "no PostgreSQL binaries for this machine on the classpath: " + BundledPostgres.resourceName()));
        return start(parent, durable, bin);
    }

    private static LocalPostgres start(Path parent, boolean durable, Path bin) {
        boolean root = isRoot();
        try {
            Path base = root ? Path.of("/tmp") : parent;
            Files.createDirectories(base);
            Path dir = Files.createTempDirectory(base, "splitguard-pg-");
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            LocalPostgres pg = new LocalPostgres(bin, dir, Ports.free(), root ? serverUser() : null);
            if (root) {
                pg.run(List.of("chown", "-R", pg.osUser + ":", dir.toString()), false);
            }
            pg.initAndStart(durable);
            return pg;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /**
     * The unprivileged OS user a server started by root runs as (PostgreSQL refuses to run as root):
     * {@code postgres} where the system has one (Debian's server package creates it), else {@code nobody}.
     */
    static String serverUser() {
        try (Stream<String> lines = Files.lines(Path.of("/etc/passwd"))) {
            return lines.anyMatch(l -> l.startsWith(USER + ":")) ? USER : "nobody";
        } catch (IOException e) {
            return "nobody";
        }
    }

    /** The directory of the server binaries this instance runs. */
    public Path binaries() {
        return binDir;
    }

    static Optional<Path> findBinaries() {
        String env = System.getenv("SPLITGUARD_PG_BIN");
        if (env != null && !env.isBlank()) {
            return Optional.of(Path.of(env)).filter(p -> Files.isExecutable(p.resolve("initdb")));
        }
        Path debian = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(debian)) {
            try (Stream<Path> versions = Files.list(debian)) {
                Optional<Path> newest = versions.map(v -> v.resolve("bin"))
                        .filter(b -> Files.isExecutable(b.resolve("initdb")))
                        .max(Comparator.comparingInt(
                                b -> versionOf(b.getParent().getFileName().toString())));
                if (newest.isPresent()) {
                    return newest;
                }
            } catch (IOException e) {
                LOG.debug("cannot list {}", debian, e);
            }
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "initdb"))) {
                return Optional.of(Path.of(dir));
            }
        }
        return Optional.empty();
    }

    private static int versionOf(String name) {
        try {
            return Integer.parseInt(name);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private void initAndStart(boolean durable) {
        run(
                List.of(
                        binDir.resolve("initdb").toString(),
                        "-D",
                        dataDir.toString(),
                        "-U",
                        USER,
                        "-A",
                        "trust",
                        "-E",
                        "UTF8",
                        "--no-locale",
                        "--no-sync"),
                osUser != null);
        serverOptions =
                "-p " + port + " -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200"
                        + (durable ? "" : " -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        startServer();
        LOG.info("PostgreSQL up at 127.0.0.1:{} (data in {})", port, dataDir);
    }

    private void startServer() {
        run(
                List.of(
                        binDir.resolve("pg_ctl").toString(),
                        "-D",
                        dataDir.toString(),
                        "-l",
                        dataDir.resolve("server.log").toString(),
                        "-w",
                        "-t",
                        "60",
                        "-o",
                        serverOptions,
                        "start"),
                osUser != null);
        running = true;
    }

    /**
     * Takes the server down the hard way ({@code pg_ctl stop -m immediate}: no checkpoint, open
     * connections cut, like a crash of the database host) and keeps its data directory, so that
     * {@link #resumeServer()} brings the same databases back on the same port after crash recovery.
     */
    public synchronized void suspend() {
        if (!running) {
            return;
        }
        run(
                List.of(binDir.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-m", "immediate", "-w", "stop"),
                osUser != null);
        running = false;
        suspended = true;
        LOG.info("PostgreSQL at 127.0.0.1:{} suspended", port);
    }

    /** Starts the server again after {@link #suspend()}, same data directory, options and port. */
    public synchronized void resumeServer() {
        if (!suspended) {
            return;
        }
        startServer();
        suspended = false;
        LOG.info("PostgreSQL at 127.0.0.1:{} resumed", port);
    }

    /** Whether the server runs (false after {@link #suspend()} and {@link #stop()}). */
    public synchronized boolean isRunning() {
        return running;
    }

    /** Whether {@link #startStandby(boolean)} can work here: the binaries include {@code pg_basebackup}. */
    public boolean canStartStandby() {
        return Files.isExecutable(binDir.resolve("pg_basebackup"));
    }

    /**
     * Starts a streaming standby of this server: a base backup taken over the replication protocol
     * ({@code pg_basebackup -R}, which also writes the standby's connection to this primary), started
     * as a hot standby on a port of its own, with the same durability as the primary's data directory
     * gets from the backup. With {@code synchronous} the primary then names every standby synchronous
     * ({@code synchronous_standby_names = '*'}), so a durable commit waits for the standby's flush, and
     * this method returns once the primary reports the standby {@code streaming} and {@code sync}.
     *
     * <p>Closing the standby stops it and deletes its data; a synchronous primary whose standby is
     * gone stops acknowledging durable commits until one streams again, as in production.
     */
    public LocalPostgres startStandby(boolean synchronous) {
        if (!canStartStandby()) {
            throw new IllegalStateException("no pg_basebackup among the PostgreSQL binaries in " + binDir);
        }
        try {
            Path dir = Files.createTempDirectory(dataDir.getParent(), "splitguard-pg-standby-");
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            LocalPostgres standby = new LocalPostgres(binDir, dir, Ports.free(), osUser);
            if (osUser != null) {
                run(List.of("chown", "-R", osUser + ":", dir.toString()), false);
            }
            run(
                    List.of(
                            binDir.resolve("pg_basebackup").toString(),
                            "-h",
                            "127.0.0.1",
                            "-p",
                            Integer.toString(port),
                            "-U",
                            USER,
                            "-D",
                            dir.toString(),
                            "-X",
                            "stream",
                            "-c",
                            "fast",
                            "-R"),
                    osUser != null);
            standby.serverOptions = "-p " + standby.port
                    + " -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200"
                    + " -c cluster_name=splitguard_standby -c hot_standby=on";
            standby.startServer();
            if (synchronous) {
                try (Connection c = DriverManager.getConnection(jdbcUrl("postgres"), USER, "");
                        Statement s = c.createStatement()) {
                    s.execute("ALTER SYSTEM SET synchronous_standby_names = '*'");
                    s.execute("SELECT pg_reload_conf()");
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    while (!streamsSynchronously(s)) {
                        if (System.nanoTime() > deadline) {
                            standby.close();
                            throw new IllegalStateException("the standby on port " + standby.port
                                    + " did not stream synchronously within 60 s");
                        }
                        TimeUnit.MILLISECONDS.sleep(100);
                    }
                }
            }
            LOG.info("PostgreSQL standby of port {} up at 127.0.0.1:{} (data in {})", port, standby.port, dir);
            return standby;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot make the standby synchronous: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for the standby", e);
        }
    }

    private static boolean streamsSynchronously(Statement s) throws SQLException {
        try (java.sql.ResultSet rs = s.executeQuery(
                "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming' AND sync_state = 'sync'")) {
            rs.next();
            return rs.getInt(1) > 0;
        }
    }

    /** Creates database {@code name} (lower case letters, digits, underscore) and returns its JDBC URL. */
    public String createDatabase(String name) {
        if (!DB_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("not a plain database name: " + name);
        }
        try (Connection c = DriverManager.getConnection(jdbcUrl("postgres"), USER, "");
                Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + name + ": " + e.getMessage(), e);
        }
        return jdbcUrl(name);
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    public String user() {
        return USER;
    }

    public String password() {
        return "";
    }

    public int port() {
        return port;
    }

    public synchronized void stop() {
        if (suspended) {
            suspended = false;
            deleteQuietly(dataDir);
            return;
        }
        if (!running) {
            return;
        }
        run(
                List.of(binDir.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-m", "fast", "-w", "stop"),
                osUser != null);
        running = false;
        deleteQuietly(dataDir);
    }

    @Override
    public void close() {
        stop();
    }

    private void run(List<String> command, boolean asPostgres) {
        List<String> full = new ArrayList<>();
        if (asPostgres) {
            full.addAll(List.of("runuser", "-u", osUser, "--"));
        }
        full.addAll(command);
        try {
            Process process = new ProcessBuilder(full).redirectErrorStream(true).start();
            process.getOutputStream().close();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException("command failed: " + String.join(" ", full) + "\n"
                        + new String(output, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + full.get(0), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + full.get(0), e);
        }
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.debug("cannot delete {}", dir, e);
        }
    }
}
