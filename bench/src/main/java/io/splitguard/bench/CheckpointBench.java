package io.splitguard.bench;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * The checkpoint benchmark: seeds N sessions with one checkpoint each through the gateway, then reads
 * {@code GET .../state/latest} of random sessions at a fixed open-loop rate, once steady and once while the
 * checkpoint topology rebalances (a second instance joins, later leaves), optionally once straight from
 * the topology's query endpoint; reports latency percentiles, errors, write rates and memory per session.
 * Prints a Markdown report and writes it to the results directory as {@code checkpoints-<date>.md}.
 */
public final class CheckpointBench {

    static final String USAGE =
            """
            bench/checkpoints.sh [--name=value ...]
              --sessions=100000    sessions seeded with one checkpoint each
              --seed-concurrency=64  checkpoint writes in flight while seeding
              --rate=2000          reads per second (open loop)
              --window=30          seconds per measured read window
              --warmup=90          seconds of reads at the rate before the first window (not measured); the
                                   pipeline JVM's JIT is still compiling after 10-20 s on two cores
              --standby=1          SPLITGUARD_STANDBY_REPLICAS of the checkpoint topology
              --direct=15          seconds of reads straight from the topology's query endpoint (0: skip)
              --jfr=false          record JFR (profile settings) of the pipeline JVM in the steady window
              --heap=2g            -Xms/-Xmx of the pipeline JVM
              --pipeline-common-pool=0  java.util.concurrent.ForkJoinPool.common.parallelism of the pipeline
                                   JVM; 0 = the JVM's default (CPUs - 1, i.e. 1 on two cores, where every
                                   default async CompletableFuture stage starts a thread of its own)
              --results=bench/results
              --work=bench/target/bench-run
            """;

    private final Map<String, String> opts = new LinkedHashMap<>();
    private final String stamp;
    private final Path work;
    private final List<String> log = new ArrayList<>();
    private Child host;
    private Map<String, String> info;

    private CheckpointBench(String[] args) {
        opts.put("sessions", "100000");
        opts.put("seed-concurrency", "64");
        opts.put("rate", "2000");
        opts.put("window", "30");
        opts.put("warmup", "90");
        opts.put("standby", "1");
        opts.put("direct", "15");
        opts.put("jfr", "false");
        opts.put("heap", "2g");
        opts.put("pipeline-common-pool", "0");
        opts.put("results", "bench/results");
        opts.put("work", "bench/target/bench-run");
        for (String arg : args) {
            if (arg.equals("--help") || arg.equals("-h")) {
                System.out.println(USAGE);
                System.exit(0);
            }
            int eq = arg.indexOf('=');
            if (!arg.startsWith("--") || eq < 0 || !opts.containsKey(arg.substring(2, eq))) {
                throw new IllegalArgumentException("unknown option " + arg + "\n" + USAGE);
            }
            opts.put(arg.substring(2, eq), arg.substring(eq + 1));
        }
        stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd-HHmm"));
        work = Path.of(opts.get("work")).resolve("checkpoints-" + stamp).toAbsolutePath();
    }

    private int num(String name) {
        return Integer.parseInt(opts.get(name));
    }

    public static void main(String[] args) throws Exception {
        CheckpointBench bench = new CheckpointBench(args);
        String report = bench.run(String.join(" ", args));
        System.out.println();
        System.out.println(report);
        Path dir = Path.of(bench.opts.get("results"));
        Files.createDirectories(dir);
        Path out = dir.resolve("checkpoints-" + bench.stamp + ".md");
        Files.writeString(out, report, StandardCharsets.UTF_8);
        System.out.println("Written to " + out);
        System.exit(0);
    }

    record Seeding(
            int sessions,
            int accepted,
            int failed,
            double sendSeconds,
            double storeSeconds,
            double sinkSeconds,
            String firstProblem) {}

    private String run(String argLine) throws Exception {
        Files.createDirectories(work);
        String heap = opts.get("heap");
        BenchMain.log("work directory " + work + "; pipeline log there");
        BenchMain.log("starting the pipeline (broker, PostgreSQL, sink, dedup + checkpoint topology, gateway)...");
        String started = LocalDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm"));
        List<String> jvm = new ArrayList<>(List.of(
                "-Xms" + heap,
                "-Xmx" + heap,
                "-XX:+UseG1GC",
                "-Dlogback.configurationFile=bench-logback.xml",
                "-Djava.io.tmpdir=" + work));
        if (num("pipeline-common-pool") > 0) {
            jvm.add("-Djava.util.concurrent.ForkJoinPool.common.parallelism=" + num("pipeline-common-pool"));
        }
        host = Child.start(
                "checkpoint-pipeline",
                jvm,
                System.getProperty("java.class.path"),
                CheckpointHost.class.getName(),
                List.of(),
                Map.of(
                        "SPLITGUARD_DATA_DIR", work.resolve("data").toString(),
                        "SPLITGUARD_STANDBY_REPLICAS", opts.get("standby")),
                work.resolve("pipeline.log"));
        StringBuilder md = new StringBuilder();
        try {
            info = readInfo(host);
            BenchMain.log("pipeline up: gateway " + info.get("gateway") + ", topology queries " + info.get("query"));
            String gateway = info.get("gateway").replace("//localhost:", "//127.0.0.1:");
            int n = num("sessions");
            String prefix = "ck" + stamp.replace("-", "") + "-";
            Thread.sleep(5_000);
            long heapBefore = heap();
            String tasks0 = command("tasks", "TASKS");
            Map<String, Long> storeBefore = parse(command("store", "STORE"));

            Seeding seeding = seed(gateway, prefix, n);
            long heapAfterSeed = heap();
            Map<String, Long> store = parse(command("store", "STORE"));
            long pgBytes = pgTableBytes();
            int[] answerBytes = answerSizes(gateway, prefix);

            OpenLoopReader reader = new OpenLoopReader();
            double rate = Double.parseDouble(opts.get("rate"));
            int window = num("window");
            String token = info.get("token");
            java.util.function.IntFunction<URI> latest =
                    i -> URI.create(gateway + "/api/v2/sessions/" + prefix + i + "/state/latest");
            OpenLoopReader.Check restored = body -> body.contains("\"restore\":true");
            BenchMain.log("warm-up: " + num("warmup") + " s of reads at " + rate + "/s");
            reader.run("warm-up", rate, num("warmup"), n, latest, token, restored, List.of());

            BenchMain.log("steady window: " + window + " s at " + rate + "/s");
            boolean jfr = Boolean.parseBoolean(opts.get("jfr"));
            if (jfr) {
                command("jfr-start " + work.resolve("steady.jfr"), "JFR");
            }
            long[] cpu0 = Proc.machineTicks();
            long host0 = Proc.processTicks(host.pid());
            long self0 = Proc.processTicks(ProcessHandle.current().pid());
            OpenLoopReader.Result steady = reader.run("steady", rate, window, n, latest, token, restored, List.of());
            long[] cpu1 = Proc.machineTicks();
            long host1 = Proc.processTicks(host.pid());
            long self1 = Proc.processTicks(ProcessHandle.current().pid());
            if (jfr) {
                command("jfr-stop", "JFR");
            }
            log(steady);

            List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());
            long windowStart = System.nanoTime();
            int joinAt = Math.max(1, window / 3);
            int leaveAt = Math.max(joinAt + 1, 2 * window / 3);
            BenchMain.log("rebalance window: " + window + " s; instance b joins at " + joinAt + " s, leaves at "
                    + leaveAt + " s");
            OpenLoopReader.Result rebalance = reader.run(
                    "rebalance",
                    rate,
                    window,
                    n,
                    latest,
                    token,
                    restored,
                    List.of(
                            new OpenLoopReader.TimedAction(joinAt, () -> event(events, windowStart, "join", "JOINED")),
                            new OpenLoopReader.TimedAction(
                                    joinAt + 2, () -> watchTasks(events, windowStart, leaveAt - joinAt - 3)),
                            new OpenLoopReader.TimedAction(leaveAt, () -> event(events, windowStart, "leave", "LEFT")),
                            new OpenLoopReader.TimedAction(
                                    Math.min(window - 1, leaveAt + 2),
                                    () -> event(events, windowStart, "tasks", "TASKS"))));
            log(rebalance);
            BenchMain.log("rebalance events: " + events);

            OpenLoopReader.Result direct = null;
            if (num("direct") > 0) {
                Thread.sleep(3_000);
                String query = info.get("query");
                BenchMain.log("direct window: " + num("direct") + " s at " + rate + "/s on " + query);
                direct = reader.run(
                        "direct",
                        rate,
                        num("direct"),
                        n,
                        i -> URI.create(query + "/internal/checkpoints/" + prefix + i),
                        null,
                        body -> body.contains("\"session_id\""),
                        List.of());
                log(direct);
            }
            reader.close();
            long heapAfterReads = heap();
            Map<String, Long> storeAfter = parse(command("store", "STORE"));

            md.append(report(
                    argLine,
                    started,
                    n,
                    seeding,
                    heapBefore,
                    heapAfterSeed,
                    heapAfterReads,
                    storeBefore,
                    store,
                    storeAfter,
                    pgBytes,
                    answerBytes,
                    tasks0,
                    steady,
                    rebalance,
                    direct,
                    events,
                    new double[] {
                        cores(cpu0, cpu1),
                        (host1 - host0) * 1e6 / Proc.TICKS_PER_SECOND / Math.max(1, steady.sent()),
                        (self1 - self0) * 1e6 / Proc.TICKS_PER_SECOND / Math.max(1, steady.sent())
                    }));
        } finally {
            BenchMain.log("stopping the pipeline...");
            host.close();
        }
        return md.toString();
    }

    private static double cores(long[] m0, long[] m1) {
        long total = m1[1] - m0[1];
        return total <= 0
                ? Double.NaN
                : (double) (m1[0] - m0[0]) / total * Runtime.getRuntime().availableProcessors();
    }

    private void event(List<String> events, long windowStart, String command, String answer) {
        try {
            double at = (System.nanoTime() - windowStart) / 1e9;
            String a = command(command, answer);
            events.add(String.format(
                    Locale.ROOT, "%.1f s %s → %s (%.1f s)", at, command, a, (System.nanoTime() - windowStart) / 1e9));
        } catch (Exception e) {
            events.add(command + " failed: " + e);
        }
    }

    /** Polls the tasks of both instances every second until b runs with active tasks (or the time is up). */
    private void watchTasks(List<String> events, long windowStart, int seconds) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(Math.max(1, seconds));
        while (System.nanoTime() < end) {
            try {
                String t = command("tasks", "TASKS");
                double at = (System.nanoTime() - windowStart) / 1e9;
                events.add(String.format(Locale.ROOT, "%.1f s %s", at, t));
                if (t.contains("b=RUNNING") && !t.contains("b=RUNNING:0/")) {
                    return;
                }
                Thread.sleep(1000);
            } catch (Exception e) {
                events.add("tasks failed: " + e);
                return;
            }
        }
    }

    private synchronized String command(String command, String answer) throws IOException, InterruptedException {
        host.send(command);
        return host.await(answer, 120);
    }

    private long heap() throws IOException, InterruptedException {
        String line = command("heap", "HEAP");
        return Long.parseLong(line.substring(line.indexOf("used=") + 5).trim());
    }

    private static Map<String, Long> parse(String line) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (String part : line.substring(line.indexOf(' ') + 1).trim().split("\\s+")) {
            int eq = part.indexOf('=');
            m.put(part.substring(0, eq), Long.parseLong(part.substring(eq + 1)));
        }
        return m;
    }

    private static Map<String, String> readInfo(Child child) throws InterruptedException {
        Map<String, String> info = new HashMap<>();
        while (true) {
            String rest = child.await("BENCH ", 300).substring("BENCH ".length());
            if (rest.equals("ready")) {
                return info;
            }
            int eq = rest.indexOf('=');
            info.put(rest.substring(0, eq), rest.substring(eq + 1));
        }
    }

    /** One checkpoint per session through the gateway, {@code seed-concurrency} in flight. */
    private Seeding seed(String gateway, String prefix, int n) throws Exception {
        int concurrency = num("seed-concurrency");
        BenchMain.log("seeding " + n + " sessions, " + concurrency + " writes in flight...");
        ExecutorService io = Executors.newFixedThreadPool(2);
        HttpClient client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .executor(io)
                .build();
        Semaphore permits = new Semaphore(concurrency);
        AtomicInteger accepted = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        String[] first = new String[1];
        long t0 = System.nanoTime();
        long nextLog = t0 + TimeUnit.SECONDS.toNanos(10);
        for (int i = 0; i < n; i++) {
            permits.acquire();
            String session = prefix + i;
            HttpRequest request = HttpRequest.newBuilder(
                            URI.create(gateway + "/api/v2/sessions/" + session + "/state/checkpoint"))
                    .timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json")
                    .header("Authorization", "Bearer " + info.get("token"))
                    .POST(HttpRequest.BodyPublishers.ofString(checkpointBody(session, i)))
                    .build();
            client.sendAsync(request, HttpResponse.BodyHandlers.ofString()).whenComplete((r, e) -> {
                if (e == null && r.statusCode() == 200) {
                    accepted.incrementAndGet();
                } else {
                    failed.incrementAndGet();
                    synchronized (first) {
                        if (first[0] == null) {
                            first[0] = e != null ? e.toString() : r.statusCode() + " " + r.body();
                        }
                    }
                }
                permits.release();
            });
            if (System.nanoTime() > nextLog) {
                BenchMain.log("seeding: " + i + " sent, " + accepted.get() + " accepted");
                nextLog += TimeUnit.SECONDS.toNanos(10);
            }
        }
        permits.acquire(concurrency);
        double sendSeconds = (System.nanoTime() - t0) / 1e9;
        io.shutdownNow();
        BenchMain.log(String.format(
                Locale.ROOT,
                "seeding: %d accepted, %d failed in %.1f s (%.0f/s); waiting for the store...",
                accepted.get(),
                failed.get(),
                sendSeconds,
                accepted.get() / sendSeconds));
        double storeSeconds = waitForStore(t0);
        double sinkSeconds = waitForSink(t0, accepted.get());
        BenchMain.log(String.format(
                Locale.ROOT,
                "store caught up at %.1f s, sink at %.1f s after the first write",
                storeSeconds,
                sinkSeconds));
        return new Seeding(n, accepted.get(), failed.get(), sendSeconds, storeSeconds, sinkSeconds, first[0]);
    }

    private static String checkpointBody(String session, int i) {
        return "{\"session_id\":\"" + session + "\",\"region\":\"eu-west-1\",\"checkpoint_id\":\"chk_"
                + (1_715_788_320L + i) + "\",\"ttl_seconds\":7200,\"variables\":{\"queue\":\"billing\","
                + "\"step\":\"confirm_address\",\"language\":\"de-DE\",\"customer_tier\":\"gold\","
                + "\"account_id\":\"acc_" + (100_000 + i % 50_000) + "\",\"last_intent\":\"change_address\","
                + "\"attempts\":2,\"authenticated\":true,\"callback_number\":\"+4930123456" + (i % 100) + "\"}}";
    }

    /**
     * Waits until the checkpoint topology's committed offsets on checkpoints-in reach the end offsets (with
     * exactly-once the store has then applied every write); seconds since {@code t0}.
     */
    private double waitForStore(long t0) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, info.get("bootstrap")))) {
            String topic = info.get("checkpoints_in");
            int partitions = admin.describeTopics(List.of(topic))
                    .allTopicNames()
                    .get(30, TimeUnit.SECONDS)
                    .get(topic)
                    .partitions()
                    .size();
            Map<TopicPartition, OffsetSpec> specs = new HashMap<>();
            for (int p = 0; p < partitions; p++) {
                specs.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends =
                    admin.listOffsets(specs).all().get(30, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
            while (System.nanoTime() < deadline) {
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(
                                info.get("application_id"))
                        .partitionsToOffsetAndMetadata()
                        .get(30, TimeUnit.SECONDS);
                boolean all = true;
                for (Map.Entry<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> e : ends.entrySet()) {
                    OffsetAndMetadata c = committed.get(e.getKey());
                    if (c == null
                            ? e.getValue().offset() > 0
                            : c.offset() < e.getValue().offset()) {
                        all = false;
                        break;
                    }
                }
                if (all) {
                    return (System.nanoTime() - t0) / 1e9;
                }
                Thread.sleep(100);
            }
            return Double.NaN;
        }
    }

    private double waitForSink(long t0, int accepted) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        try (Connection c = DriverManager.getConnection(info.get("jdbc"), info.get("dbuser"), info.get("dbpassword"));
                Statement s = c.createStatement()) {
            while (System.nanoTime() < deadline) {
                try (ResultSet rs = s.executeQuery("SELECT count(*) FROM session_checkpoints")) {
                    rs.next();
                    if (rs.getLong(1) >= accepted) {
                        return (System.nanoTime() - t0) / 1e9;
                    }
                }
                Thread.sleep(250);
            }
        }
        return Double.NaN;
    }

    /** Body sizes of one session's answer: the topology's stored checkpoint, the gateway's restore answer. */
    private int[] answerSizes(String gateway, String prefix) {
        HttpClient client = HttpClient.newHttpClient();
        try {
            HttpResponse<byte[]> direct = client.send(
                    HttpRequest.newBuilder(URI.create(info.get("query") + "/internal/checkpoints/" + prefix + 0))
                            .build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            HttpResponse<byte[]> viaGateway = client.send(
                    HttpRequest.newBuilder(URI.create(gateway + "/api/v2/sessions/" + prefix + 0 + "/state/latest"))
                            .header("Authorization", "Bearer " + info.get("token"))
                            .build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            return new int[] {direct.body().length, viaGateway.body().length};
        } catch (IOException e) {
            return new int[] {-1, -1};
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new int[] {-1, -1};
        }
    }

    private long pgTableBytes() {
        try (Connection c = DriverManager.getConnection(info.get("jdbc"), info.get("dbuser"), info.get("dbpassword"));
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT pg_total_relation_size('session_checkpoints')")) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            return -1;
        }
    }

    private static void log(OpenLoopReader.Result r) {
        BenchMain.log(String.format(
                Locale.ROOT,
                "%s: %d sent, %d ok, %d wrong, %d errors; p50 %.2f ms p99 %.2f ms p99.9 %.2f ms max %.1f ms;"
                        + " sender lag max %.1f ms%s",
                r.name(),
                r.sent(),
                r.ok(),
                r.wrong(),
                r.errors(),
                r.p(50),
                r.p(99),
                r.p(99.9),
                r.latencyMicros().getMaxValue() / 1000.0,
                r.maxSendLagMs(),
                r.firstProblem() == null ? "" : "; first problem: " + r.firstProblem()));
    }

    private String report(
            String argLine,
            String started,
            int n,
            Seeding seeding,
            long heapBefore,
            long heapAfterSeed,
            long heapAfterReads,
            Map<String, Long> storeBefore,
            Map<String, Long> store,
            Map<String, Long> storeAfter,
            long pgBytes,
            int[] answerBytes,
            String tasks0,
            OpenLoopReader.Result steady,
            OpenLoopReader.Result rebalance,
            OpenLoopReader.Result direct,
            List<String> events,
            double[] cpu) {
        StringBuilder md = new StringBuilder();
        md.append("# Checkpoint benchmark ").append(stamp).append("\n\n");
        md.append("`bench/checkpoints.sh ")
                .append(argLine)
                .append("` started ")
                .append(started)
                .append(" UTC; ")
                .append(Runtime.getRuntime().availableProcessors())
                .append(" CPUs, Java ")
                .append(System.getProperty("java.version"))
                .append(", standby replicas ")
                .append(opts.get("standby"))
                .append(", tasks at start: ")
                .append(tasks0)
                .append(".\n\n");
        md.append("## Seeding\n\n");
        md.append(String.format(
                Locale.ROOT,
                "%d sessions, %d accepted (200), %d failed; %d writes in flight.%n%n"
                        + "| measure | seconds | writes/s |%n|---|---:|---:|%n"
                        + "| accepted by the gateway | %.1f | %.0f |%n"
                        + "| applied by the checkpoint topology (committed offsets = end offsets) | %.1f | %.0f |%n"
                        + "| written by the sink (`session_checkpoints` rows) | %.1f | %.0f |%n%n",
                n,
                seeding.accepted(),
                seeding.failed(),
                num("seed-concurrency"),
                seeding.sendSeconds(),
                seeding.accepted() / seeding.sendSeconds(),
                seeding.storeSeconds(),
                seeding.accepted() / seeding.storeSeconds(),
                seeding.sinkSeconds(),
                seeding.accepted() / seeding.sinkSeconds()));
        if (seeding.firstProblem() != null) {
            md.append("First failed write: `").append(seeding.firstProblem()).append("`\n\n");
        }
        md.append("## Reads (open loop, latency from the intended send time)\n\n");
        md.append("| window | rate/s | s | sent | ok | wrong | errors | p50 ms | p99 ms | p99.9 ms | max ms |"
                + " sender lag max ms |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (OpenLoopReader.Result r : java.util.Arrays.asList(steady, rebalance, direct)) {
            if (r == null) {
                continue;
            }
            md.append(String.format(
                    Locale.ROOT,
                    "| %s | %.0f | %d | %d | %d | %d | %d | %.2f | %.2f | %.2f | %.1f | %.1f |%n",
                    r.name(),
                    r.rate(),
                    r.seconds(),
                    r.sent(),
                    r.ok(),
                    r.wrong(),
                    r.errors(),
                    r.p(50),
                    r.p(99),
                    r.p(99.9),
                    r.latencyMicros().getMaxValue() / 1000.0,
                    r.maxSendLagMs()));
        }
        md.append("\n`wrong`: 200 without `\"restore\":true` for a seeded session. `direct`: `GET"
                + " /internal/checkpoints/{id}` on instance a's query port, without the gateway.\n\n");
        for (OpenLoopReader.Result r : java.util.Arrays.asList(steady, rebalance, direct)) {
            if (r != null && r.firstProblem() != null) {
                md.append("First problem in ")
                        .append(r.name())
                        .append(": `")
                        .append(r.firstProblem().replace('`', '\''))
                        .append("`\n\n");
            }
        }
        md.append(String.format(
                Locale.ROOT,
                "Steady window CPU: machine %.2f cores busy; pipeline JVM %.0f µs per read; this client JVM %.0f µs"
                        + " per read.%n%n",
                cpu[0],
                cpu[1],
                cpu[2]));
        md.append("Rebalance window, per second (p99 ms / not-ok answers / max ms):\n\n```\n");
        List<double[]> ps = rebalance.perSecond();
        for (int s = 0; s < ps.size(); s++) {
            md.append(String.format(
                    Locale.ROOT,
                    "%3d s  p99 %8.2f  bad %5.0f  max %8.1f%n",
                    s,
                    ps.get(s)[0],
                    ps.get(s)[1],
                    ps.get(s)[2]));
        }
        md.append("```\n\nEvents (seconds into the window):\n\n");
        for (String e : events) {
            md.append("- ").append(e).append('\n');
        }
        md.append("\n## Memory\n\n");
        md.append(String.format(
                Locale.ROOT,
                "Pipeline JVM heap after full GC (gateway, topologies, sink, broker in one JVM): before seeding %.1f"
                        + " MiB, after seeding %.1f MiB (%+.1f MiB, %+.1f bytes per session), after the reads %.1f"
                        + " MiB.%n%n",
                heapBefore / 1048576.0,
                heapAfterSeed / 1048576.0,
                (heapAfterSeed - heapBefore) / 1048576.0,
                (heapAfterSeed - heapBefore) / (double) n,
                heapAfterReads / 1048576.0));
        md.append("latest-checkpoints store (RocksDB metrics summed over tasks, files under its directories,"
                + " its changelog on the broker); per session = (after seeding − before seeding) ÷ sessions:\n\n");
        md.append(
                "| figure | before seeding | after seeding | per session | after the reads |\n|---|---:|---:|---:|---:|\n");
        for (Map.Entry<String, Long> e : store.entrySet()) {
            long before = storeBefore.getOrDefault(e.getKey(), 0L);
            boolean count = e.getKey().equals("estimate-num-keys") || e.getKey().equals("disk-files");
            md.append(String.format(
                    Locale.ROOT,
                    "| %s | %d | %d | %s | %d |%n",
                    e.getKey(),
                    before,
                    e.getValue(),
                    count ? "" : String.format(Locale.ROOT, "%.1f B", (e.getValue() - before) / (double) n),
                    storeAfter.getOrDefault(e.getKey(), -1L)));
        }
        md.append(String.format(
                Locale.ROOT,
                "%nOne seeded session's stored checkpoint as the topology serves it (`/internal/checkpoints/{id}`): %d"
                        + " bytes of JSON; the gateway's answer: %d bytes.%n",
                answerBytes[0],
                answerBytes[1]));
        md.append(String.format(
                Locale.ROOT,
                "%nPostgreSQL `session_checkpoints` (table + indexes + TOAST): %.1f MiB, %.0f bytes per session.%n",
                pgBytes / 1048576.0,
                pgBytes / (double) n));
        md.append("\nClasspath entries: ")
                .append(System.getProperty("java.class.path").split(File.pathSeparator).length)
                .append("; work directory `")
                .append(work)
                .append("`.\n");
        return md.toString();
    }
}
