package io.splitguard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.splitguard.schemas.topics.TopicCatalog;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Lease round trips, two designs side by side in one run: SplitGuard's lease API through the gateway of
 * the full local pipeline (the dedup topology's lease processor decides, the gateway reads the decision
 * back from lease-decisions), and the single-instance Redis lock ({@code SET NX PX} acquire, Lua
 * compare-and-delete release) behind a Micronaut endpoint of the same routes and JSON shapes, on a
 * redis-server the bench starts itself. Closed loop: each of {@code c} clients picks a random resource of
 * the pool, acquires it and, when granted, releases it, again and again. Per concurrency the windows run
 * in the order SplitGuard, Redis, Redis, SplitGuard, so the machine's noise lands on both. Reports round
 * trips per second and latency percentiles of acquire and release separately, their ratios, the servers'
 * CPU per round trip, and two checks (fencing tokens per resource only ever grow; no two clients were
 * granted the same resource at once), in Markdown, also written to the results directory.
 */
public final class LeaseBench {

    static final String LEASE_BASE = "/api/v1/state/locks";
    static final String REF_BASE = "/ref/locks";

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final long MAX_MICROS = TimeUnit.MINUTES.toMicros(10);

    /** Command-line settings ({@code --name=value}); every one has a default. */
    record Opts(
            List<Integer> concurrency,
            int window,
            int settle,
            int warmup,
            int resources,
            long ttlMs,
            String heap,
            String redisServer,
            String redisDurability,
            int commitIntervalMs,
            Map<String, String> pipelineEnv,
            Path resultsDir,
            Path workDir) {

        static final String USAGE =
                """
                Options (all --name=value):
                  --concurrency=1,16,64    closed-loop clients per point
                  --window=10              measured seconds of each window; each design gets two per point
                                           (order per point: SplitGuard, Redis, Redis, SplitGuard)
                  --settle=2               unmeasured seconds at the start of every window
                  --warmup=15              seconds of load per design at c=16 before anything is measured
                  --resources=1000         resource ids the clients pick from at random
                  --ttl-ms=10000           lock_ttl_ms of every acquire (both designs)
                  --heap=2g                -Xms/-Xmx of the pipeline JVM and of the Redis endpoint's JVM
                  --redis-server=          path of redis-server (default: found on the PATH, /usr/bin, /usr/sbin)
                  --redis-durability=off   off (--save '' --appendonly no), everysec or always (append-only file)
                  --commit-interval-ms=0   the dedup topology's commit.interval.ms (0: the launcher's default, 100)
                  --pipeline-env=          more settings of the pipeline, NAME=VALUE[,NAME=VALUE...], e.g.
                                           SPLITGUARD_STREAMS_POLL_MS=10 (Streams' poll.ms of the topology)
                  --results=bench/results
                  --work=bench/target/leases-run
                """;

        static Opts parse(String[] args) {
            Map<String, String> v = new HashMap<>();
            for (String arg : args) {
                if (arg.equals("--help") || arg.equals("-h")) {
                    System.out.println(USAGE);
                    System.exit(0);
                }
                int eq = arg.indexOf('=');
                if (!arg.startsWith("--") || eq < 0) {
                    throw new IllegalArgumentException("expected --name=value, got " + arg + "\n" + USAGE);
                }
                v.put(arg.substring(2, eq), arg.substring(eq + 1));
            }
            Set<String> known = Set.of(
                    "concurrency",
                    "window",
                    "settle",
                    "warmup",
                    "resources",
                    "ttl-ms",
                    "heap",
                    "redis-server",
                    "redis-durability",
                    "commit-interval-ms",
                    "pipeline-env",
                    "results",
                    "work");
            for (String name : v.keySet()) {
                if (!known.contains(name)) {
                    throw new IllegalArgumentException("unknown option --" + name + "\n" + USAGE);
                }
            }
            List<Integer> conc = Arrays.stream(
                            v.getOrDefault("concurrency", "1,16,64").split(","))
                    .map(String::trim)
                    .map(Integer::parseInt)
                    .toList();
            String durability = v.getOrDefault("redis-durability", "off");
            if (!List.of("off", "everysec", "always").contains(durability)) {
                throw new IllegalArgumentException("--redis-durability is off, everysec or always\n" + USAGE);
            }
            Map<String, String> pipelineEnv = new LinkedHashMap<>();
            for (String pair : v.getOrDefault("pipeline-env", "").split(",")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    pipelineEnv.put(
                            pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
                } else if (!pair.isBlank()) {
                    throw new IllegalArgumentException("--pipeline-env takes NAME=VALUE pairs, not " + pair);
                }
            }
            return new Opts(
                    conc,
                    Integer.parseInt(v.getOrDefault("window", "10")),
                    Integer.parseInt(v.getOrDefault("settle", "2")),
                    Integer.parseInt(v.getOrDefault("warmup", "15")),
                    Integer.parseInt(v.getOrDefault("resources", "1000")),
                    Long.parseLong(v.getOrDefault("ttl-ms", "10000")),
                    v.getOrDefault("heap", "2g"),
                    v.getOrDefault("redis-server", ""),
                    durability,
                    Integer.parseInt(v.getOrDefault("commit-interval-ms", "0")),
                    Map.copyOf(pipelineEnv),
                    Path.of(v.getOrDefault("results", "bench/results")),
                    Path.of(v.getOrDefault("work", "bench/target/leases-run")));
        }
    }

    /** One design under test: where its routes are, and which processes serve it. */
    record Target(
            String name, String label, URI acquire, URI release, String prefix, boolean fenced, List<Long> pids) {}

    /** What clients measured over one window (or several, once merged); CPU in clock ticks. */
    static final class Tally {
        final Histogram acquire = histogram();
        final Histogram release = histogram();
        long granted;
        long conflicts;
        long released;
        long notHolder;
        long unavailable;
        long otherStatus;
        long errors;
        long tokenRegressions;
        long missingTokens;
        long overlaps;
        double seconds;
        long serverTicks;
        long pipelineIdleTicks;
        long machineBusy;
        long machineTotal;
        int windows;

        void add(Tally o) {
            acquire.add(o.acquire);
            release.add(o.release);
            granted += o.granted;
            conflicts += o.conflicts;
            released += o.released;
            notHolder += o.notHolder;
            unavailable += o.unavailable;
            otherStatus += o.otherStatus;
            errors += o.errors;
            tokenRegressions += o.tokenRegressions;
            missingTokens += o.missingTokens;
            overlaps += o.overlaps;
            seconds += o.seconds;
            serverTicks += o.serverTicks;
            pipelineIdleTicks += o.pipelineIdleTicks;
            machineBusy += o.machineBusy;
            machineTotal += o.machineTotal;
            windows += o.windows;
        }

        long acquires() {
            return acquire.getTotalCount();
        }

        long releases() {
            return release.getTotalCount();
        }

        double perSecond(long n) {
            return seconds <= 0 ? Double.NaN : n / seconds;
        }

        /** Decided HTTP round trips (acquire and release answers, 200 or 409). */
        long roundTrips() {
            return acquires() + releases();
        }

        static double ms(Histogram h, double percentile) {
            return h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(percentile) / 1000.0;
        }

        double serverMicrosPerRoundTrip() {
            long rt = roundTrips();
            return rt == 0 ? Double.NaN : serverTicks * (1e6 / Proc.TICKS_PER_SECOND) / rt;
        }

        double machineCores() {
            return machineTotal <= 0
                    ? Double.NaN
                    : (double) machineBusy / machineTotal * Runtime.getRuntime().availableProcessors();
        }

        double pipelineIdleCores() {
            return seconds <= 0 ? Double.NaN : pipelineIdleTicks / (double) Proc.TICKS_PER_SECOND / seconds;
        }
    }

    /** One timed SplitGuard round trip: "a:" + correlation_id or "r:" + lock_token, wall clock in µs. */
    record Sample(String key, int concurrency, long sentMicros, long answeredMicros) {}

    /** A lease command as the broker appended it and the owner decided it (ms since the epoch). */
    record Trace(long appendedMillis, long decidedMillis) {}

    /** One measured window, in run order. */
    record Window(int index, String design, int concurrency, Tally tally, String loadAfter) {}

    private final Opts opts;
    private final String stamp;
    private final Path work;
    private final List<String> fullClasspath;
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    /** Highest fencing token seen per resource (SplitGuard): a new grant must carry a greater one. */
    private final Map<String, Long> lastToken = new ConcurrentHashMap<>();
    /** Resources a client holds right now (removed before its release is sent, so no false alarms). */
    private final Map<String, String> holders = new ConcurrentHashMap<>();

    /** SplitGuard round trips inside measured windows, for the time breakdown. */
    private final java.util.Queue<Sample> samples = new java.util.concurrent.ConcurrentLinkedQueue<>();

    private String token;
    private long pipelinePid;
    private String bootstrap;

    private LeaseBench(Opts opts) {
        this.opts = opts;
        this.stamp = LocalDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd-HHmm"));
        this.work = opts.workDir().resolve(stamp).toAbsolutePath();
        this.fullClasspath = Arrays.asList(System.getProperty("java.class.path").split(File.pathSeparator));
    }

    public static void main(String[] args) throws Exception {
        Opts opts = Opts.parse(args);
        Path redisBinary;
        try {
            redisBinary = RedisProcess.find(opts.redisServer());
        } catch (IllegalStateException e) {
            System.err.println("[leases] " + e.getMessage());
            System.exit(2);
            return;
        }
        LeaseBench bench = new LeaseBench(opts);
        String report = bench.run(redisBinary, String.join(" ", args));
        System.out.println();
        System.out.println(report);
        Files.createDirectories(opts.resultsDir());
        Path out = opts.resultsDir().resolve("leases-" + bench.stamp + ".md");
        Files.writeString(out, report, StandardCharsets.UTF_8);
        System.out.println("Written to " + out);
        System.exit(0);
    }

    private List<String> jvmOptions() {
        return List.of(
                "-Xms" + opts.heap(),
                "-Xmx" + opts.heap(),
                "-XX:+UseG1GC",
                "-Dlogback.configurationFile=bench-logback.xml",
                "-Djava.io.tmpdir=" + work);
    }

    private String run(Path redisBinary, String argLine) throws Exception {
        Files.createDirectories(work);
        Map<String, String> machine = machine();
        log("work directory " + work + "; the servers' logs are there");
        RedisProcess redis = RedisProcess.start(
                redisBinary, opts.redisDurability(), work.resolve("redis"), work.resolve("redis-server.log"));
        Child ref = null;
        Child pipeline = null;
        try {
            log("redis-server " + redis.uri() + " (pid " + redis.pid() + ", durability " + opts.redisDurability()
                    + ")");
            ref = Child.start(
                    "ref-redis",
                    jvmOptions(),
                    BenchMain.referenceClasspath(fullClasspath),
                    "io.splitguard.bench.ref.RefServer",
                    List.of("redis", "0", redis.uri()),
                    Map.of(),
                    work.resolve("ref-redis.log"));
            String ready = ref.await("BENCH ready", 120);
            String refUrl = "http://127.0.0.1:"
                    + ready.substring(ready.indexOf("port=") + 5).trim();
            log("Redis lease endpoint " + refUrl + REF_BASE + " (pid " + ref.pid() + ")");

            log("starting the pipeline (broker, PostgreSQL, sink, topologies, gateway)...");
            Map<String, String> env = new HashMap<>(Map.of(
                    "SPLITGUARD_DATA_DIR",
                    work.resolve("data").toString(),
                    "SPLITGUARD_HTTP_PORT",
                    "0",
                    // one bench token is one client: its budget must not be what is measured
                    "SPLITGUARD_GATEWAY_RATE_LIMIT_LIMIT_FOR_PERIOD",
                    "100000000"));
            if (opts.commitIntervalMs() > 0) {
                env.put("SPLITGUARD_COMMIT_INTERVAL_MS", Integer.toString(opts.commitIntervalMs()));
            }
            env.putAll(opts.pipelineEnv());
            pipeline = Child.start(
                    "pipeline",
                    jvmOptions(),
                    String.join(File.pathSeparator, fullClasspath),
                    PipelineHost.class.getName(),
                    List.of(),
                    env,
                    work.resolve("pipeline.log"));
            Map<String, String> info = readInfo(pipeline);
            token = info.get("token");
            pipelinePid = pipeline.pid();
            bootstrap = info.get("bootstrap");
            String gateway = info.get("gateway").replace("//localhost:", "//127.0.0.1:");
            log("pipeline up: gateway " + gateway + " (pid " + pipelinePid + ")");

            Target splitguard = new Target(
                    "splitguard",
                    "SplitGuard lease API (gateway → lease-commands → dedup topology → lease-decisions)",
                    URI.create(gateway + LEASE_BASE + "/acquire"),
                    URI.create(gateway + LEASE_BASE + "/release"),
                    "sg-" + stamp + "-",
                    true,
                    List.of(pipelinePid));
            Target redisTarget = new Target(
                    "redis",
                    "Redis SET NX PX + Lua compare-and-delete (Micronaut endpoint → one redis-server)",
                    URI.create(refUrl + REF_BASE + "/acquire"),
                    URI.create(refUrl + REF_BASE + "/release"),
                    "rd-" + stamp + "-",
                    false,
                    List.of(ref.pid(), redis.pid()));
            return measure(machine, argLine, redis, splitguard, redisTarget);
        } finally {
            log("stopping...");
            if (pipeline != null) {
                pipeline.close();
            }
            if (ref != null) {
                ref.close();
            }
            redis.close();
        }
    }

    private String measure(Map<String, String> machine, String argLine, RedisProcess redis, Target sg, Target rd)
            throws Exception {
        awaitGrant(sg, 180);
        awaitGrant(rd, 30);
        for (Target t : List.of(sg, rd)) {
            log("warm-up " + t.name() + ": c=16 for " + opts.warmup() + " s");
            Tally warm = window(t, 16, 0, opts.warmup(), "warm");
            log(String.format(
                    Locale.ROOT,
                    "warm-up %s: %.0f round trips/s, acquire p50 %.2f ms",
                    t.name(),
                    warm.perSecond(warm.roundTrips()),
                    Tally.ms(warm.acquire, 50)));
        }
        List<Window> windows = new ArrayList<>();
        Map<String, Tally> merged = new LinkedHashMap<>();
        String loadStart = loadAverage();
        for (int c : opts.concurrency()) {
            for (Target t : List.of(sg, rd, rd, sg)) {
                Tally w = window(t, c, opts.settle(), opts.window(), "c" + c + "-" + windows.size());
                String load = loadAverage();
                windows.add(new Window(windows.size() + 1, t.name(), c, w, load));
                merged.computeIfAbsent(t.name() + "@" + c, k -> new Tally()).add(w);
                log(String.format(
                        Locale.ROOT,
                        "%s c=%d: %.0f round trips/s (%.0f leases/s); acquire p50 %.2f p99 %.2f ms; release p50 %.2f"
                                + " p99 %.2f ms; 409 %d, 503 %d, errors %d; load %s",
                        t.name(),
                        c,
                        w.perSecond(w.roundTrips()),
                        w.perSecond(w.released),
                        Tally.ms(w.acquire, 50),
                        Tally.ms(w.acquire, 99),
                        Tally.ms(w.release, 50),
                        Tally.ms(w.release, 99),
                        w.conflicts + w.notHolder,
                        w.unavailable,
                        w.errors,
                        load));
            }
        }
        String loadEnd = loadAverage();
        String breakdown;
        try {
            breakdown = breakdown();
        } catch (RuntimeException e) {
            breakdown = "The breakdown could not be read from the topics: " + e + "\n";
        }
        return render(machine, argLine, redis, sg, rd, windows, merged, loadStart, loadEnd) + breakdown;
    }

    /** Until the design grants a lease (the gateway answers 503 until its lease replies are ready). */
    private void awaitGrant(Target t, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String last = "no answer";
        int attempt = 0;
        while (System.nanoTime() < deadline) {
            String resource = t.prefix() + "probe-" + attempt++;
            try {
                HttpResponse<byte[]> a = post(t.acquire(), acquireBody(resource, "probe-" + attempt));
                if (a.statusCode() == 200) {
                    String lockToken =
                            MAPPER.readTree(a.body()).path("lock_token").asText();
                    HttpResponse<byte[]> r = post(t.release(), releaseBody(resource, lockToken));
                    if (r.statusCode() != 200) {
                        throw new IllegalStateException(t.name() + ": release of a fresh grant answered "
                                + r.statusCode() + " " + new String(r.body(), StandardCharsets.UTF_8));
                    }
                    log(t.name() + " grants leases");
                    return;
                }
                last = a.statusCode() + " " + new String(a.body(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException(t.name() + " granted no lease within " + seconds + " s; last answer: " + last);
    }

    // ------------------------------------------------------------------ load

    /**
     * {@code c} closed-loop clients for {@code settle + measure} seconds; only round trips that started
     * inside the measured part count. A client that was granted a lease releases it even past the end.
     */
    private Tally window(Target t, int c, int settle, int measure, String tag) throws Exception {
        long start = System.nanoTime();
        long from = start + TimeUnit.SECONDS.toNanos(settle);
        long to = from + TimeUnit.SECONDS.toNanos(measure);
        Tally[] tallies = new Tally[c];
        Thread[] threads = new Thread[c];
        for (int i = 0; i < c; i++) {
            Tally tally = new Tally();
            tallies[i] = tally;
            int id = i;
            threads[i] = new Thread(() -> client(t, c, tally, from, to, tag + "-" + id), "lease-client-" + i);
            threads[i].setDaemon(true);
            threads[i].start();
        }
        sleepUntil(from);
        long server0 = ticks(t.pids());
        long pipe0 = Proc.processTicks(pipelinePid);
        long[] m0 = Proc.machineTicks();
        sleepUntil(to);
        long server1 = ticks(t.pids());
        long pipe1 = Proc.processTicks(pipelinePid);
        long[] m1 = Proc.machineTicks();
        for (Thread thread : threads) {
            thread.join(TimeUnit.SECONDS.toMillis(60));
            if (thread.isAlive()) {
                thread.interrupt();
                thread.join(TimeUnit.SECONDS.toMillis(15));
            }
        }
        Tally sum = new Tally();
        for (Tally tally : tallies) {
            sum.add(tally);
        }
        sum.seconds = measure;
        sum.windows = 1;
        sum.serverTicks = server1 - server0;
        sum.pipelineIdleTicks = t.fenced() ? 0 : pipe1 - pipe0;
        sum.machineBusy = m1[0] - m0[0];
        sum.machineTotal = m1[1] - m0[1];
        return sum;
    }

    private void client(Target t, int c, Tally tally, long from, long to, String tag) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long n = 0;
        try {
            while (System.nanoTime() < to) {
                String resource = t.prefix() + random.nextInt(opts.resources());
                String correlation = tag + "-" + n++;
                byte[] body = acquireBody(resource, correlation);
                long sent = epochMicros();
                long t0 = System.nanoTime();
                boolean counted = t0 >= from;
                HttpResponse<byte[]> a;
                try {
                    a = post(t.acquire(), body);
                } catch (IOException e) {
                    if (counted) {
                        tally.errors++;
                    }
                    continue;
                }
                long micros = (System.nanoTime() - t0) / 1000;
                if (counted && t.fenced() && (a.statusCode() == 200 || a.statusCode() == 409)) {
                    samples.add(new Sample("a:" + correlation, c, sent, epochMicros()));
                }
                switch (a.statusCode()) {
                    case 200 -> {
                        if (counted) {
                            tally.granted++;
                            tally.acquire.recordValue(Math.min(micros, MAX_MICROS));
                        }
                        JsonNode grant;
                        try {
                            grant = MAPPER.readTree(a.body());
                        } catch (IOException e) {
                            tally.missingTokens++;
                            continue;
                        }
                        String lockToken = grant.path("lock_token").asText(null);
                        if (lockToken == null) {
                            tally.missingTokens++;
                            continue;
                        }
                        if (holders.putIfAbsent(resource, lockToken) != null) {
                            tally.overlaps++;
                        }
                        if (t.fenced()) {
                            JsonNode fencing = grant.get("fencing_token");
                            if (fencing == null || !fencing.canConvertToLong()) {
                                tally.missingTokens++;
                            } else {
                                Long previous = lastToken.put(resource, fencing.longValue());
                                if (previous != null && previous >= fencing.longValue()) {
                                    tally.tokenRegressions++;
                                }
                            }
                        }
                        holders.remove(resource, lockToken);
                        release(t, c, tally, resource, lockToken, from, to);
                    }
                    case 409 -> {
                        if (counted) {
                            tally.conflicts++;
                            tally.acquire.recordValue(Math.min(micros, MAX_MICROS));
                        }
                    }
                    case 503 -> {
                        if (counted) {
                            tally.unavailable++;
                        }
                    }
                    default -> {
                        if (counted) {
                            tally.otherStatus++;
                        }
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void release(Target t, int c, Tally tally, String resource, String lockToken, long from, long to)
            throws InterruptedException {
        long sent = epochMicros();
        long t0 = System.nanoTime();
        boolean counted = t0 >= from && t0 < to;
        HttpResponse<byte[]> r;
        try {
            r = post(t.release(), releaseBody(resource, lockToken));
        } catch (IOException e) {
            if (counted) {
                tally.errors++;
            }
            return;
        }
        long micros = (System.nanoTime() - t0) / 1000;
        if (!counted) {
            return;
        }
        if (t.fenced() && (r.statusCode() == 200 || r.statusCode() == 409)) {
            samples.add(new Sample("r:" + lockToken, c, sent, epochMicros()));
        }
        switch (r.statusCode()) {
            case 200 -> {
                tally.released++;
                tally.release.recordValue(Math.min(micros, MAX_MICROS));
            }
            case 409 -> {
                tally.notHolder++;
                tally.release.recordValue(Math.min(micros, MAX_MICROS));
            }
            case 503 -> tally.unavailable++;
            default -> tally.otherStatus++;
        }
    }

    private byte[] acquireBody(String resource, String correlation) {
        return ("{\"resource_id\":\"" + resource + "\",\"region_origin\":\"us-east-1\",\"lock_ttl_ms\":"
                        + opts.ttlMs() + ",\"operation_type\":\"crm_sync\",\"correlation_id\":\"" + correlation
                        + "\"}")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] releaseBody(String resource, String lockToken) {
        return ("{\"resource_id\":\"" + resource + "\",\"lock_token\":\"" + lockToken + "\"}")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** Both designs get the same headers (the Redis endpoint ignores the token). */
    private HttpResponse<byte[]> post(URI uri, byte[] body) throws IOException, InterruptedException {
        return http.send(
                HttpRequest.newBuilder(uri)
                        .timeout(Duration.ofSeconds(10))
                        .header("Content-Type", "application/json")
                        .header("Authorization", "Bearer " + token)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    private static long epochMicros() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
    }

    private static Histogram histogram() {
        return new Histogram(MAX_MICROS, 3);
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long left = nanoTime - System.nanoTime();
        if (left > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }

    /** CPU ticks of the given processes and their descendants (the pipeline's PostgreSQL). */
    private static long ticks(List<Long> pids) {
        long sum = 0;
        for (long pid : pids) {
            sum += Math.max(0, Proc.processTicks(pid));
            Optional<ProcessHandle> handle = ProcessHandle.of(pid);
            if (handle.isPresent()) {
                for (ProcessHandle child : handle.get().descendants().toList()) {
                    sum += Math.max(0, Proc.processTicks(child.pid()));
                }
            }
        }
        return sum;
    }

    // ------------------------------------------------------------------ where SplitGuard's time goes

    /**
     * Joins the measured SplitGuard round trips with their commands on lease-commands (the broker's
     * append time: the topic uses LogAppendTime) and their decisions on lease-decisions ({@code
     * decided_at}, the owner's clock; same machine, same clock): send → appended, appended → decided,
     * decided → answered, per concurrency, as a Markdown section.
     */
    private String breakdown() {
        TopicCatalog topics = TopicCatalog.fromEnv(System.getenv());
        Map<String, Long> appended = new HashMap<>(); // request_id -> append ms
        Map<String, String> keyOf = new HashMap<>(); // request_id -> a:correlation / r:lock_token
        Map<String, Long> decided = new HashMap<>(); // request_id -> decided ms
        scan(topics.leaseCommands.name(), r -> {
            JsonNode v = readJson(r.value());
            String type = v.path("type").asText();
            String key = type.equals("acquire")
                    ? "a:" + v.path("correlation_id").asText()
                    : type.equals("release") ? "r:" + v.path("lock_token").asText() : null;
            if (key != null) {
                String id = v.path("request_id").asText();
                appended.put(id, r.timestamp());
                keyOf.put(id, key);
            }
        });
        scan(topics.leaseDecisions.name(), r -> {
            JsonNode v = readJson(r.value());
            long at = instantMillis(v.get("decided_at"));
            if (at > 0) {
                decided.put(v.path("request_id").asText(), at);
            }
        });
        Map<String, Trace> traces = new HashMap<>();
        appended.forEach((id, at) -> {
            Long d = decided.get(id);
            if (d != null) {
                traces.put(keyOf.get(id), new Trace(at, d));
            }
        });
        StringBuilder b = new StringBuilder();
        b.append("\n## Where SplitGuard's round trip goes (measured windows, ms)\n\n");
        b.append("Each measured SplitGuard round trip joined with its command on lease-commands (the broker's"
                + " append time) and its decision on lease-decisions (`decided_at`, the owner's clock; one"
                + " machine, one clock, millisecond resolution). **send → appended**: HTTP, JWT and schema"
                + " checks, produce with acks=all (linger 5 ms); **appended → decided**: the dedup topology's"
                + " stream thread fetching and deciding; **decided → answered**: the decision waits in the"
                + " open transaction until the topology commits (commit.interval.ms), then the gateway's"
                + " read_committed consumer fetches it and the HTTP answer is written.\n\n");
        b.append("| c | round trips joined | send → appended p50 / p90 | appended → decided p50 / p90 |"
                + " decided → answered p50 / p90 | total p50 / p90 |\n");
        b.append("|---:|---:|---:|---:|---:|---:|\n");
        long unjoined = 0;
        for (int c : opts.concurrency()) {
            Stats toAppend = new Stats();
            Stats toDecide = new Stats();
            Stats toAnswer = new Stats();
            Stats total = new Stats();
            for (Sample sample : samples) {
                if (sample.concurrency() != c) {
                    continue;
                }
                Trace trace = traces.get(sample.key());
                if (trace == null) {
                    unjoined++;
                    continue;
                }
                double sent = sample.sentMicros() / 1000.0;
                double answered = sample.answeredMicros() / 1000.0;
                toAppend.add(trace.appendedMillis() - sent);
                toDecide.add(trace.decidedMillis() - trace.appendedMillis());
                toAnswer.add(answered - trace.decidedMillis());
                total.add(answered - sent);
            }
            Stats.Summary a = toAppend.summary();
            Stats.Summary d = toDecide.summary();
            Stats.Summary w = toAnswer.summary();
            Stats.Summary t = total.summary();
            b.append(String.format(
                    Locale.ROOT,
                    "| %d | %,d | %.1f / %.1f | %.1f / %.1f | %.1f / %.1f | %.1f / %.1f |%n",
                    c,
                    t.count(),
                    a.p50(),
                    a.p90(),
                    d.p50(),
                    d.p90(),
                    w.p50(),
                    w.p90(),
                    t.p50(),
                    t.p90()));
        }
        b.append(String.format(
                Locale.ROOT,
                "%nRound trips without a command and decision found on the topics: %d (of %d).%n",
                unjoined,
                samples.size()));
        return b.toString();
    }

    private void scan(String topic, java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> each) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed",
                        ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
                        5000),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> parts = new ArrayList<>();
            for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
                parts.add(new TopicPartition(topic, p.partition()));
            }
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts, Duration.ofSeconds(30));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < deadline && parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.value() != null) {
                        each.accept(r);
                    }
                }
            }
        }
    }

    private static JsonNode readJson(byte[] value) {
        try {
            return MAPPER.readTree(value);
        } catch (IOException e) {
            return MAPPER.createObjectNode();
        }
    }

    /** An instant as the topics write it: ISO-8601 text, or epoch seconds (with a fraction) as a number. */
    private static long instantMillis(JsonNode node) {
        if (node == null || node.isNull()) {
            return -1;
        }
        if (node.isTextual()) {
            try {
                return java.time.Instant.parse(node.textValue()).toEpochMilli();
            } catch (RuntimeException e) {
                return -1;
            }
        }
        if (node.isNumber()) {
            double v = node.doubleValue();
            return v > 1e11 ? (long) v : (long) (v * 1000);
        }
        return -1;
    }

    // ------------------------------------------------------------------ report

    private String render(
            Map<String, String> machine,
            String argLine,
            RedisProcess redis,
            Target sg,
            Target rd,
            List<Window> windows,
            Map<String, Tally> merged,
            String loadStart,
            String loadEnd) {
        StringBuilder b = new StringBuilder();
        b.append("# Lease round trips: SplitGuard vs single-instance Redis, run of ")
                .append(stamp)
                .append(" UTC\n\n");
        b.append("Command: `bench/leases.sh")
                .append(argLine.isBlank() ? "" : " " + argLine)
                .append("`\n\n");
        b.append("Machine: ")
                .append(machine.get("nproc"))
                .append(" CPUs (")
                .append(machine.get("cpu"))
                .append("), ")
                .append(machine.get("mem"))
                .append(", ")
                .append(machine.get("java"))
                .append(". Load average (1/5/15 min) before the run ")
                .append(machine.get("load"))
                .append(", at the first measured window ")
                .append(loadStart)
                .append(", at the end ")
                .append(loadEnd)
                .append(".\n\n");
        b.append("- **SplitGuard**: ")
                .append(sg.label())
                .append("; the whole local pipeline in one JVM (`PipelineHost`), dedup topology with exactly-once"
                        + " and commit.interval.ms = ")
                .append(
                        opts.commitIntervalMs() > 0
                                ? opts.commitIntervalMs() + " (set by the run)"
                                : "100 (launcher default)")
                .append(opts.pipelineEnv().isEmpty() ? "" : "; also set: " + opts.pipelineEnv())
                .append(".\n");
        b.append("- **Redis**: ")
                .append(rd.label())
                .append("; ")
                .append(redis.version())
                .append(", durability `")
                .append(opts.redisDurability())
                .append("` (")
                .append(
                        switch (opts.redisDurability()) {
                            case "off" -> "`--save '' --appendonly no`: the locks live in memory only";
                            case "everysec" -> "append-only file, fsync once a second";
                            default -> "append-only file, fsync before every answer";
                        })
                .append(").\n");
        b.append("- Load: closed loop, c clients, each picks one of ")
                .append(opts.resources())
                .append(" resources at random, acquires it (lock_ttl_ms ")
                .append(opts.ttlMs())
                .append(") and, if granted, releases it; JDK HttpClient (HTTP/1.1) in the harness JVM. Per c the"
                        + " windows run SplitGuard, Redis, Redis, SplitGuard, each ")
                .append(opts.settle())
                .append(" s unmeasured + ")
                .append(opts.window())
                .append(" s measured; warm-up ")
                .append(opts.warmup())
                .append(" s per design at c=16.\n\n");

        b.append("## Per design (two windows each)\n\n");
        b.append("Round trips: decided HTTP answers (200 or 409) of acquire and release. Leases/s: acquire"
                + " granted and then released (200). Latency from send to answer, in ms.\n\n");
        b.append("| design | c | round trips/s | leases/s | acquire p50 | acquire p99 | release p50 | release p99 |"
                + " acquire 409 | 503 / errors | server CPU µs per round trip |\n");
        b.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (int c : opts.concurrency()) {
            for (Target t : List.of(sg, rd)) {
                Tally m = merged.get(t.name() + "@" + c);
                b.append(String.format(
                        Locale.ROOT,
                        "| %s | %d | %,.0f | %,.0f | %.2f | %.2f | %.2f | %.2f | %d | %d / %d | %,.0f |%n",
                        t.name().equals("splitguard") ? "SplitGuard" : "Redis",
                        c,
                        m.perSecond(m.roundTrips()),
                        m.perSecond(m.released),
                        Tally.ms(m.acquire, 50),
                        Tally.ms(m.acquire, 99),
                        Tally.ms(m.release, 50),
                        Tally.ms(m.release, 99),
                        m.conflicts,
                        m.unavailable + m.otherStatus,
                        m.errors,
                        m.serverMicrosPerRoundTrip()));
            }
        }
        b.append("\nServer CPU: SplitGuard = the pipeline JVM (gateway, broker, topologies, sink) and its"
                + " PostgreSQL; Redis = the endpoint's JVM and redis-server. From /proc, over the measured"
                + " seconds.\n\n");

        b.append("## Ratios (Redis ÷ SplitGuard for rates, SplitGuard ÷ Redis for latencies)\n\n");
        b.append("| c | round trips/s | leases/s | acquire p50 | acquire p99 | release p50 | release p99 |"
                + " server CPU per round trip |\n");
        b.append("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (int c : opts.concurrency()) {
            Tally s = merged.get("splitguard@" + c);
            Tally r = merged.get("redis@" + c);
            b.append(String.format(
                    Locale.ROOT,
                    "| %d | %s | %s | %s | %s | %s | %s | %s |%n",
                    c,
                    ratio(r.perSecond(r.roundTrips()), s.perSecond(s.roundTrips())),
                    ratio(r.perSecond(r.released), s.perSecond(s.released)),
                    ratio(Tally.ms(s.acquire, 50), Tally.ms(r.acquire, 50)),
                    ratio(Tally.ms(s.acquire, 99), Tally.ms(r.acquire, 99)),
                    ratio(Tally.ms(s.release, 50), Tally.ms(r.release, 50)),
                    ratio(Tally.ms(s.release, 99), Tally.ms(r.release, 99)),
                    ratio(s.serverMicrosPerRoundTrip(), r.serverMicrosPerRoundTrip())));
        }

        b.append("\n## Every window, in run order\n\n");
        b.append("| # | design | c | round trips/s | acquire p50 | acquire p99 | release p50 | release p99 |"
                + " machine busy cores | idle pipeline JVM cores | load after |\n");
        b.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for (Window w : windows) {
            Tally t = w.tally();
            b.append(String.format(
                    Locale.ROOT,
                    "| %d | %s | %d | %,.0f | %.2f | %.2f | %.2f | %.2f | %.2f | %s | %s |%n",
                    w.index(),
                    w.design(),
                    w.concurrency(),
                    t.perSecond(t.roundTrips()),
                    Tally.ms(t.acquire, 50),
                    Tally.ms(t.acquire, 99),
                    Tally.ms(t.release, 50),
                    Tally.ms(t.release, 99),
                    t.machineCores(),
                    w.design().equals("redis") ? String.format(Locale.ROOT, "%.2f", t.pipelineIdleCores()) : "–",
                    w.loadAfter()));
        }
        b.append("\n\"idle pipeline JVM cores\": what the SplitGuard pipeline, not under load, used while the Redis"
                + " windows ran (its broker, topology commits and sink polls go on).\n\n");

        Tally all = new Tally();
        merged.values().forEach(all::add);
        Tally sgAll = new Tally();
        Tally rdAll = new Tally();
        merged.forEach((k, v) -> (k.startsWith("splitguard@") ? sgAll : rdAll).add(v));
        b.append("## Checks\n\n");
        b.append(String.format(
                Locale.ROOT,
                "- SplitGuard grants: %,d; a resource's fencing token not greater than its previous grant's: **%d**;"
                        + " grants without lock or fencing token: %d.%n",
                sgAll.granted,
                sgAll.tokenRegressions,
                sgAll.missingTokens));
        b.append(String.format(Locale.ROOT, "- Redis grants: %,d (no fencing token in this design).%n", rdAll.granted));
        b.append(String.format(
                Locale.ROOT,
                "- A grant while another client of the harness still held the resource (before it sent its release):"
                        + " SplitGuard **%d**, Redis **%d**.%n",
                sgAll.overlaps,
                rdAll.overlaps));
        b.append(String.format(
                Locale.ROOT,
                "- Releases answered 409 (not the holder): SplitGuard %d, Redis %d. 503: SplitGuard %d, Redis %d."
                        + " Transport errors or timeouts: SplitGuard %d, Redis %d.%n",
                sgAll.notHolder,
                rdAll.notHolder,
                sgAll.unavailable,
                rdAll.unavailable,
                sgAll.errors,
                rdAll.errors));
        return b.toString();
    }

    private static String ratio(double a, double b) {
        if (Double.isNaN(a) || Double.isNaN(b) || b == 0) {
            return "–";
        }
        double r = a / b;
        return String.format(Locale.ROOT, r >= 10 ? "%,.0f×" : "%.2f×", r);
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " / " + f[1] + " / " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static Map<String, String> machine() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("nproc", Integer.toString(Runtime.getRuntime().availableProcessors()));
        String cpu = "unknown CPU";
        String mem = "memory unknown";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst()
                    .orElse(cpu);
            mem = Files.readAllLines(Path.of("/proc/meminfo")).stream()
                    .filter(l -> l.startsWith("MemTotal"))
                    .map(l -> Long.parseLong(l.replaceAll("\\D", "")) / 1024 / 1024 + " GiB RAM")
                    .findFirst()
                    .orElse(mem);
        } catch (IOException | RuntimeException e) {
            // reported as unknown
        }
        m.put("cpu", cpu);
        m.put("mem", mem);
        m.put("load", loadAverage());
        m.put("java", "Java " + System.getProperty("java.runtime.version"));
        return m;
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

    static void log(String message) {
        System.out.println(
                "[leases " + LocalDateTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss")) + "] " + message);
        System.out.flush();
    }
}
