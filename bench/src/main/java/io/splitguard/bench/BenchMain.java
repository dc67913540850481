package io.splitguard.bench;

import io.splitguard.bench.ref.KafkaController;
import io.splitguard.bench.ref.SeedController;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * The bench in one run: starts the full local pipeline in its own JVM, then loads, one after
 * another and with the same wrk settings, (A) a bare Micronaut POST, (B) a Micronaut POST that
 * produces to Kafka with acks=all, and the SplitGuard gateway, each at several concurrencies;
 * then measures end-to-end latency (HTTP request to PostgreSQL row) at half the gateway's rate.
 * Prints a Markdown report and writes it to the results directory.
 */
public final class BenchMain {

    static final String GATEWAY_PATH = "/api/v2/integrations/crm/contact/update";
    static final String REF_TOPIC = "bench.ref-kafka";
    static final String[] GROUPS = {"gateway", "topology", "sink", "broker"};

    /** Jars a reference server must not see: they register Micronaut beans (security, the gateway) or are pipeline-only. */
    private static final List<String> NOT_FOR_REFERENCE = List.of(
            "launcher-",
            "ingest-gateway-",
            "dedup-topology-",
            "postgres-sink-",
            "local-infra-",
            "schemas-",
            "test-support-",
            "micronaut-security",
            "micronaut-management",
            "micronaut-micrometer",
            "micrometer-",
            "kafka-streams",
            "kafka_2.13",
            "kafka-server",
            "kafka-metadata",
            "kafka-raft",
            "kafka-storage",
            "kafka-group-coordinator",
            "kafka-coordinator",
            "kafka-transaction-coordinator",
            "kafka-share-coordinator",
            "rocksdbjni",
            "flyway",
            "HikariCP",
            "postgresql-",
            "json-schema-validator",
            "caffeine");

    /** One measured point: one target at one concurrency. CPU figures are clock ticks over the window. */
    record Point(
            String target,
            int connections,
            Wrk.Result wrk,
            long targetTicks,
            long pipelineTicks,
            Map<String, Long> groupNanos,
            long postgresTicks,
            long redisTicks,
            long machineBusyTicks,
            long machineTotalTicks,
            double drainSeconds) {

        double perRequestMicros(long ticks) {
            return ticks * (1e6 / Proc.TICKS_PER_SECOND) / Math.max(1, wrk.accepted());
        }

        /** Rows per second the whole pipeline wrote: the window's 2xx over the window plus the catch-up after it. */
        double sustainedPerSecond() {
            return wrk.accepted() / (wrk.seconds() + drainSeconds);
        }

        double groupMicros(String group) {
            return groupNanos.getOrDefault(group, 0L) / 1e3 / Math.max(1, wrk.accepted());
        }

        double pipelineOtherMicros() {
            long groups =
                    groupNanos.values().stream().mapToLong(Long::longValue).sum();
            return (pipelineTicks * (1e9 / Proc.TICKS_PER_SECOND) - groups) / 1e3 / Math.max(1, wrk.accepted());
        }

        double machineCores() {
            return machineTotalTicks <= 0
                    ? Double.NaN
                    : (double) machineBusyTicks
                            / machineTotalTicks
                            * Runtime.getRuntime().availableProcessors();
        }
    }

    private final Options options;
    private final String stamp;
    private final Path work;
    private final List<String> fullClasspath;
    private final List<Point> points = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private Child pipeline;
    private Map<String, String> info;
    private Wrk wrk;
    private long gatewayAccepted;
    private long seedAccepted;
    /** Connections summed over the seed's wrk runs: the most requests those runs can leave in flight. */
    private long seedConnections;

    private BenchMain(Options options) {
        this.options = options;
        this.stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd-HHmm"));
        this.work = options.workDir().resolve(stamp).toAbsolutePath();
        this.fullClasspath = Arrays.asList(System.getProperty("java.class.path").split(File.pathSeparator));
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        if (options.targets().contains("seed")) {
            try {
                RedisProcess.find(options.redisServer());
            } catch (IllegalStateException e) {
                System.err.println("[bench] the seed target needs redis-server: " + e.getMessage()
                        + " (or leave it out: --targets=bare,kafka,gateway)");
                System.exit(2);
            }
        }
        BenchMain bench = new BenchMain(options);
        String report = bench.run(String.join(" ", args));
        System.out.println();
        System.out.println(report);
        Files.createDirectories(options.resultsDir());
        Path out = options.resultsDir().resolve(bench.stamp + ".md");
        Files.writeString(out, report, StandardCharsets.UTF_8);
        System.out.println("Written to " + out);
        System.exit(0);
    }

    private String run(String argLine) throws Exception {
        Files.createDirectories(work);
        Path script = work.resolve("post.lua");
        try (InputStream in = BenchMain.class.getResourceAsStream("post.lua")) {
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        wrk = new Wrk(script, options.wrkThreads(), options.sessions());
        log("work directory " + work + "; server logs there");
        log("starting the pipeline (broker, PostgreSQL, sink, topology, gateway)...");
        List<String> pipelineOptions = new ArrayList<>(jvmOptions());
        // e.g. a profiler agent: BENCH_PIPELINE_JAVA_OPTS="-agentpath:/path/libasyncProfiler.so=start,event=itimer,..."
        String extra =
                System.getenv().getOrDefault("BENCH_PIPELINE_JAVA_OPTS", "").trim();
        if (!extra.isEmpty()) {
            pipelineOptions.addAll(Arrays.asList(extra.split("\\s+")));
        }
        pipeline = PipelineHost.launch(
                work, List.copyOf(pipelineOptions), String.join(File.pathSeparator, fullClasspath), Map.of());
        EndToEnd.Result e2e = null;
        try {
            info = readInfo(pipeline);
            log("pipeline up: gateway " + info.get("gateway") + ", kafka " + info.get("bootstrap"));
            createReferenceTopic();
            for (String target : options.targets()) {
                runTarget(target);
            }
            e2e = endToEnd();
            pipeline.send("threads");
            List<String> threads = pipeline.collectUntil("THREADS end", 30);
            Files.write(work.resolve("pipeline-threads.txt"), threads, StandardCharsets.UTF_8);
        } finally {
            log("stopping the pipeline...");
            pipeline.close();
        }
        return Report.render(options, argLine, stamp, points, e2e, notes);
    }

    private List<String> jvmOptions() {
        return List.of(
                "-Xms" + options.heap(),
                "-Xmx" + options.heap(),
                "-XX:+UseG1GC",
                "-Dlogback.configurationFile=bench-logback.xml",
                "-Djava.io.tmpdir=" + work);
    }

    private static Map<String, String> readInfo(Child child) throws InterruptedException {
        Map<String, String> info = new HashMap<>();
        while (true) {
            String line = child.await("BENCH ", 300);
            String rest = line.substring("BENCH ".length());
            if (rest.equals("ready")) {
                return info;
            }
            int eq = rest.indexOf('=');
            info.put(rest.substring(0, eq), rest.substring(eq + 1));
        }
    }

    private void createReferenceTopic() throws Exception {
        int partitions = Integer.parseInt(System.getenv().getOrDefault("SPLITGUARD_SESSION_PARTITIONS", "12"));
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, info.get("bootstrap")))) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            if (!existing.contains(REF_TOPIC)) {
                admin.createTopics(List.of(new NewTopic(REF_TOPIC, partitions, (short) 1)))
                        .all()
                        .get(30, TimeUnit.SECONDS);
            }
        }
    }

    private void runTarget(String target) throws Exception {
        Child ref = null;
        RedisProcess redis = null;
        String url;
        String token = null;
        long pid;
        if (target.equals("gateway")) {
            url = info.get("gateway").replace("//localhost:", "//127.0.0.1:") + GATEWAY_PATH;
            token = info.get("token");
            pid = pipeline.pid();
        } else {
            List<String> args;
            String classpath = referenceClasspath();
            String path;
            switch (target) {
                case "kafka" -> {
                    args = List.of("kafka", "0", info.get("bootstrap"), REF_TOPIC);
                    path = KafkaController.PATH;
                }
                case "seed" -> {
                    redis = RedisProcess.start(
                            RedisProcess.find(options.redisServer()),
                            "off",
                            work.resolve("redis"),
                            work.resolve("redis-server.log"));
                    log("seed: redis-server " + redis.uri() + " (pid " + redis.pid() + ", no persistence: a lock)");
                    args = List.of(
                            "seed",
                            "0",
                            redis.uri(),
                            info.get("jdbc"),
                            info.get("dbuser"),
                            info.get("dbpassword"),
                            Integer.toString(options.seedPool()));
                    classpath = seedClasspath(fullClasspath);
                    path = SeedController.PATH;
                }
                default -> {
                    args = List.of("bare", "0");
                    path = "/ref/bare";
                }
            }
            ref = Child.start(
                    "ref-" + target,
                    jvmOptions(),
                    classpath,
                    "io.splitguard.bench.ref.RefServer",
                    args,
                    Map.of(),
                    work.resolve("ref-" + target + ".log"));
            String ready = ref.await("BENCH ready", 120);
            String port = ready.substring(ready.indexOf("port=") + 5).trim();
            url = "http://127.0.0.1:" + port + path;
            pid = ref.pid();
        }
        try {
            warmUp(target, url, token, pid);
            for (int c : options.concurrency()) {
                if (options.settleSeconds() > 0) {
                    load(target, url, token, c, options.settleSeconds(), "settle" + c);
                }
                if (target.equals("gateway")) {
                    double d = drain();
                    log("gateway: pipeline caught up in " + fmt(d) + " s before the measured window");
                }
                points.add(measure(target, url, token, c, pid, redis == null ? -1 : redis.pid()));
            }
            if (target.equals("seed")) {
                checkSeedRows();
            }
        } finally {
            if (ref != null) {
                ref.close();
            }
            if (redis != null) {
                redis.close();
            }
        }
    }

    /**
     * Loads the target at c=64 for {@code --warmup} seconds, then in 10 s steps until two steps in a row
     * answer within 5 % of each other, or {@code --warmup-max} seconds have passed. The pipeline JVM holds
     * the broker, three Streams applications, the sink and the gateway: on two cores its JIT compiler
     * is still busy well after 20 s (a 20 s warm-up measured the gateway at 1.3-2k req/s, a 90 s one at
     * 9.3k), so a fixed short warm-up measures the compiler rather than the code.
     */
    private void warmUp(String target, String url, String token, long pid) throws IOException, InterruptedException {
        log(target + ": " + url + " (pid " + pid + "), warm-up at c=64: " + options.warmupSeconds()
                + " s, then 10 s steps until two agree within 5 % (at most " + options.warmupMaxSeconds() + " s)");
        load(target, url, token, 64, options.warmupSeconds(), "warm");
        int spent = options.warmupSeconds();
        double previous = -1;
        int step = 0;
        while (spent + 10 <= options.warmupMaxSeconds()) {
            Wrk.Result r = load(target, url, token, 64, 10, "warm-step" + ++step);
            spent += 10;
            double rate = r.acceptedPerSecond();
            log(String.format(Locale.ROOT, "%s: warm-up step %d: %.0f req/s", target, step, rate));
            if (previous > 0 && Math.abs(rate - previous) <= 0.05 * Math.max(rate, previous)) {
                notes.add(String.format(
                        Locale.ROOT,
                        "%s warmed up in %d s at c=64 (last two 10 s steps: %.0f and %.0f req/s).",
                        label(target),
                        spent,
                        previous,
                        rate));
                return;
            }
            previous = rate;
        }
        notes.add(String.format(
                Locale.ROOT,
                "%s: warm-up stopped at --warmup-max=%d s before two 10 s steps agreed within 5 %% (last %.0f"
                        + " req/s); its figures may still include JIT compilation.",
                label(target),
                spent,
                previous));
    }

    private static String label(String target) {
        return Report.label(target);
    }

    /** Every 200 of the seed-style baseline must be a committed row: a baseline that answered more is not one. */
    private void checkSeedRows() throws SQLException {
        try (Connection c = DriverManager.getConnection(info.get("jdbc"), info.get("dbuser"), info.get("dbpassword"));
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM seed.crm_contact_updates")) {
            rs.next();
            long rows = rs.getLong(1);
            // wrk stops with up to one request per connection still in flight; the server commits those, so
            // the table may hold a few more rows than wrk counted answers, never fewer
            long inFlightBound = seedConnections;
            String line = "Seed-style baseline: " + seedAccepted + " requests answered 2xx (warm-up included), "
                    + rows + " rows in seed.crm_contact_updates"
                    + (rows >= seedAccepted && rows - seedAccepted <= inFlightBound
                            ? " (the difference is requests still in flight when wrk stopped its runs): every 2xx"
                                    + " is a committed row."
                            : " — MISMATCH: more answers than rows, or more extra rows than requests wrk can"
                                    + " leave in flight; the baseline's figures are not trustworthy.");
            notes.add(line);
            log(line);
        }
    }

    private Wrk.Result load(String target, String url, String token, int c, int seconds, String phase)
            throws IOException, InterruptedException {
        Wrk.Result r = wrk.run(url, c, seconds, target + "-" + stamp + "-" + phase, token);
        if (target.equals("gateway")) {
            gatewayAccepted += r.accepted();
        } else if (target.equals("seed")) {
            seedAccepted += r.accepted();
            seedConnections += c;
        }
        return r;
    }

    private Point measure(String target, String url, String token, int c, long pid, long redisPid) throws Exception {
        pipeline.send("mark");
        pipeline.await("MARKED", 30);
        long r0 = redisPid < 0 ? 0 : Proc.processTicks(redisPid);
        long t0 = Proc.processTicks(pid);
        long p0 = Proc.processTicks(pipeline.pid());
        Map<Long, Long> pg0 = Proc.postgresTicks();
        long[] m0 = Proc.machineTicks();
        Wrk.Result r = load(target, url, token, c, options.durationSeconds(), "c" + c);
        long t1 = Proc.processTicks(pid);
        long p1 = Proc.processTicks(pipeline.pid());
        Map<Long, Long> pg1 = Proc.postgresTicks();
        long[] m1 = Proc.machineTicks();
        long r1 = redisPid < 0 ? 0 : Proc.processTicks(redisPid);
        pipeline.send("cpu");
        Map<String, Long> groups = parseGroups(pipeline.await("CPU ", 30));
        double drain = target.equals("gateway") ? drain() : 0;
        Point p = new Point(
                target,
                c,
                r,
                t1 - t0,
                p1 - p0,
                groups,
                Proc.delta(pg0, pg1),
                r1 - r0,
                m1[0] - m0[0],
                m1[1] - m0[1],
                drain);
        log(String.format(
                Locale.ROOT,
                "%s c=%d: %.0f req/s accepted, p50 %.2f ms, p99 %.2f ms, non-2xx %d, target JVM %.1f µs/req%s",
                target,
                c,
                r.acceptedPerSecond(),
                r.p50Ms(),
                r.p99Ms(),
                r.statusErrors(),
                p.perRequestMicros(p.targetTicks()),
                target.equals("gateway") ? ", caught up " + fmt(drain) + " s after the window" : ""));
        return p;
    }

    private static Map<String, Long> parseGroups(String line) {
        Map<String, Long> groups = new LinkedHashMap<>();
        for (String part : line.substring("CPU ".length()).trim().split("\\s+")) {
            int eq = part.indexOf('=');
            groups.put(part.substring(0, eq), Long.parseLong(part.substring(eq + 1)));
        }
        return groups;
    }

    /**
     * Waits until every request the gateway accepted so far has its row in PostgreSQL (or the row
     * count stops moving for 10 s, or 180 s pass); returns the seconds waited.
     */
    private double drain() throws SQLException, InterruptedException {
        long start = System.nanoTime();
        long last = -1;
        long lastChange = start;
        try (Connection c = DriverManager.getConnection(info.get("jdbc"), info.get("dbuser"), info.get("dbpassword"));
                Statement s = c.createStatement()) {
            while (true) {
                long rows;
                try (ResultSet rs = s.executeQuery("SELECT count(*) FROM crm_contact_updates")) {
                    rs.next();
                    rows = rs.getLong(1);
                }
                long now = System.nanoTime();
                if (rows >= gatewayAccepted) {
                    break;
                }
                if (rows != last) {
                    last = rows;
                    lastChange = now;
                } else if (now - lastChange > TimeUnit.SECONDS.toNanos(10)) {
                    notes.add("The pipeline stopped short of the gateway's accepted count: " + rows + " rows for "
                            + gatewayAccepted + " accepted requests (wrk counts a request that timed out on its side"
                            + " as failed even if the gateway accepted it, and the reverse).");
                    break;
                }
                if (now - start > TimeUnit.SECONDS.toNanos(180)) {
                    notes.add("Gave up waiting for the pipeline to catch up after 180 s (" + rows + " of "
                            + gatewayAccepted + " rows).");
                    break;
                }
                Thread.sleep(250);
            }
        }
        return (System.nanoTime() - start) / 1e9;
    }

    private EndToEnd.Result endToEnd() throws Exception {
        if (options.e2eSeconds() <= 0) {
            return null;
        }
        double rate = options.e2eRate();
        if (rate <= 0) {
            int top = options.concurrency().stream().max(Integer::compare).orElse(256);
            Point max = points.stream()
                    .filter(p -> p.target().equals("gateway") && p.connections() == top)
                    .findFirst()
                    .orElse(null);
            if (max == null) {
                notes.add("End-to-end run skipped: no gateway measurement to take half of (use --e2e-rate).");
                return null;
            }
            // sustained = what the whole pipeline absorbed: the window's accepted requests over the window
            // plus the time the topology and sink needed afterwards to write them all to PostgreSQL
            double sustained = max.sustainedPerSecond();
            rate = Math.floor(sustained / 2);
            notes.add(String.format(
                    Locale.ROOT,
                    "End-to-end rate: the gateway accepted %.0f req/s at c=%d, but the pipeline needed %.1f s after"
                            + " the %.0f s window to write them all, so the sustained rate is %.0f req/s; half: %.0f"
                            + " req/s.",
                    max.wrk().acceptedPerSecond(),
                    top,
                    max.drainSeconds(),
                    max.wrk().seconds(),
                    sustained,
                    rate));
        }
        if (options.targets().contains("gateway")) {
            drain();
        }
        log("end to end: " + fmt(rate) + " req/s for " + options.e2eSeconds() + " s...");
        EndToEnd e2e = new EndToEnd(
                URI.create(info.get("gateway").replace("//localhost:", "//127.0.0.1:") + GATEWAY_PATH),
                info.get("token"),
                info.get("jdbc"),
                info.get("dbuser"),
                info.get("dbpassword"),
                options.sessions(),
                options.pollMillis());
        EndToEnd.Result r = e2e.run(rate, options.e2eSeconds(), "e2e-" + stamp + "-");
        log(String.format(
                Locale.ROOT,
                "end to end: %d accepted, %d rows found; written_at p50 %.1f ms p99 %.1f ms; seen p50 %.1f ms p99 %.1f ms",
                r.accepted(),
                r.found(),
                r.written().p50(),
                r.written().p99(),
                r.seen().p50(),
                r.seen().p99()));
        return r;
    }

    private String referenceClasspath() {
        return referenceClasspath(fullClasspath);
    }

    /** {@code fullClasspath} without the jars a reference server must not see (also used by the lease bench). */
    static String referenceClasspath(List<String> fullClasspath) {
        return fullClasspath.stream()
                .filter(entry -> {
                    String name = Path.of(entry).getFileName().toString();
                    return NOT_FOR_REFERENCE.stream().noneMatch(name::startsWith);
                })
                .collect(Collectors.joining(File.pathSeparator));
    }

    /**
     * The reference classpath plus HikariCP and the PostgreSQL driver, which the seed-style baseline needs
     * (neither registers Micronaut beans).
     */
    static String seedClasspath(List<String> fullClasspath) {
        return fullClasspath.stream()
                .filter(entry -> {
                    String name = Path.of(entry).getFileName().toString();
                    return name.startsWith("HikariCP")
                            || name.startsWith("postgresql-")
                            || NOT_FOR_REFERENCE.stream().noneMatch(name::startsWith);
                })
                .collect(Collectors.joining(File.pathSeparator));
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    static void log(String message) {
        System.out.println(
                "[bench " + LocalDateTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss")) + "] " + message);
        System.out.flush();
    }
}
