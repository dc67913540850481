package io.splitguard.bench;

import io.splitguard.gateway.webhook.StandardWebhooks;
import io.splitguard.schemas.topics.TopicCatalog;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The storm benchmark in one run, on one pipeline: (1) a steady, legitimate load of CRM updates at a
 * fixed rate alone; (2) the same load beside a storm of one signed Genesys notification delivered again
 * and again (one webhook-id, timestamps re-signed each second); (3) the webhook endpoint with signature
 * verification and the CRM endpoint loaded one after the other with the same client count and duration.
 * Reports latency ratios, what the storm cost (records produced, database work, counters at {@code
 * /metrics}) and the answers by status, in Markdown, also written to the results directory.
 */
public final class StormBench {

    static final String CRM_PATH = BenchMain.GATEWAY_PATH;
    static final String GENESYS_PATH = "/api/v2/webhooks/genesys";

    /** Command-line settings ({@code --name=value}); every one has a default. */
    record Opts(
            double steadyRate,
            int steadySeconds,
            int storm,
            int stormSeconds,
            int stormConnections,
            int connections,
            int duration,
            int warmup,
            int wrkThreads,
            int presigned,
            int sessions,
            String heap,
            Path resultsDir,
            Path workDir) {

        static final String USAGE =
                """
                Options (all --name=value):
                  --steady-rate=200       CRM updates per second of the legitimate load (open loop)
                  --steady-seconds=10     length of the steady window alone
                  --storm=100000          deliveries of the one notification (the storm stops there)
                  --storm-seconds=10      longest the storm may take (it stops earlier at --storm)
                  --storm-connections=32  wrk connections of the storm
                  --connections=64        wrk connections of the throughput points (both endpoints)
                  --duration=10           seconds of each throughput point
                  --warmup=10             seconds of warm-up load per endpoint before anything is measured
                  --wrk-threads=2
                  --presigned=100000      distinct signed notifications prepared for the webhook point
                  --sessions=1000         distinct session ids of the legitimate load
                  --heap=2g               -Xms/-Xmx of the pipeline JVM
                  --results=bench/results
                  --work=bench/target/storm-run
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
                    "steady-rate",
                    "steady-seconds",
                    "storm",
                    "storm-seconds",
                    "storm-connections",
                    "connections",
                    "duration",
                    "warmup",
                    "wrk-threads",
                    "presigned",
                    "sessions",
                    "heap",
                    "results",
                    "work");
            for (String name : v.keySet()) {
                if (!known.contains(name)) {
                    throw new IllegalArgumentException("unknown option --" + name + "\n" + USAGE);
                }
            }
            return new Opts(
                    Double.parseDouble(v.getOrDefault("steady-rate", "200")),
                    Integer.parseInt(v.getOrDefault("steady-seconds", "10")),
                    Integer.parseInt(v.getOrDefault("storm", "100000")),
                    Integer.parseInt(v.getOrDefault("storm-seconds", "10")),
                    Integer.parseInt(v.getOrDefault("storm-connections", "32")),
                    Integer.parseInt(v.getOrDefault("connections", "64")),
                    Integer.parseInt(v.getOrDefault("duration", "10")),
                    Integer.parseInt(v.getOrDefault("warmup", "10")),
                    Integer.parseInt(v.getOrDefault("wrk-threads", "2")),
                    Integer.parseInt(v.getOrDefault("presigned", "100000")),
                    Integer.parseInt(v.getOrDefault("sessions", "1000")),
                    v.getOrDefault("heap", "2g"),
                    Path.of(v.getOrDefault("results", "bench/results")),
                    Path.of(v.getOrDefault("work", "bench/target/storm-run")));
        }
    }

    /** One wrk run: its figures and the answers by status its script counted. */
    record WrkRun(Wrk.Result result, Map<String, Long> counts) {

        long count(String name) {
            return counts.getOrDefault(name, 0L);
        }

        /** Seconds between the first request and the last answer, when the script measured them. */
        double activeSeconds() {
            long first = count("first_us");
            long last = count("last_us");
            return first > 0 && last > first ? (last - first) / 1e6 : result.seconds();
        }
    }

    /** Database activity counters of the pipeline's database (pg_stat_database), at one instant. */
    record PgStats(
            long xactCommit,
            long xactRollback,
            long tupReturned,
            long tupFetched,
            long tupInserted,
            long tupUpdated,
            long rows,
            long storeScans,
            long storeInserts,
            long atNanos) {

        PgStats minus(PgStats o) {
            return new PgStats(
                    xactCommit - o.xactCommit,
                    xactRollback - o.xactRollback,
                    tupReturned - o.tupReturned,
                    tupFetched - o.tupFetched,
                    tupInserted - o.tupInserted,
                    tupUpdated - o.tupUpdated,
                    rows - o.rows,
                    storeScans - o.storeScans,
                    storeInserts - o.storeInserts,
                    atNanos - o.atNanos);
        }

        double seconds() {
            return atNanos / 1e9;
        }
    }

    private final Opts opts;
    private final String stamp;
    private final Path work;
    private final List<String> notes = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private Child pipeline;
    private Map<String, String> info;
    private String gateway;
    private String secret;

    private StormBench(Opts opts) {
        this.opts = opts;
        this.stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd-HHmm"));
        this.work = opts.workDir().resolve(stamp).toAbsolutePath();
    }

    public static void main(String[] args) throws Exception {
        Opts opts = Opts.parse(args);
        StormBench bench = new StormBench(opts);
        String report = bench.run(String.join(" ", args));
        System.out.println();
        System.out.println(report);
        Files.createDirectories(opts.resultsDir());
        Path out = opts.resultsDir().resolve("storm-" + bench.stamp + ".md");
        Files.writeString(out, report, StandardCharsets.UTF_8);
        System.out.println("Written to " + out);
        System.exit(0);
    }

    private String run(String argLine) throws Exception {
        Files.createDirectories(work);
        for (String script : List.of("storm.lua", "signed.lua", "crm-status.lua")) {
            try (InputStream in = StormBench.class.getResourceAsStream(script)) {
                Files.copy(in, work.resolve(script), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        secret = "whsec_" + Base64.getEncoder().encodeToString(key);
        Map<String, String> machine = machine();
        log("work directory " + work + "; the pipeline's log is there");
        log("starting the pipeline (broker, PostgreSQL, sink, topologies, gateway; Genesys deliveries signed)...");
        pipeline = PipelineHost.launch(
                work,
                PipelineHost.jvmOptions(work, opts.heap()),
                System.getProperty("java.class.path"),
                Map.of("SPLITGUARD_GATEWAY_WEBHOOKS_PLATFORMS_GENESYS_SIGNING_SECRETS", secret));
        try {
            info = readInfo(pipeline);
            gateway = info.get("gateway").replace("//localhost:", "//127.0.0.1:");
            log("pipeline up: gateway " + gateway);
            return measure(machine, argLine);
        } finally {
            log("stopping the pipeline...");
            pipeline.close();
        }
    }

    private String measure(Map<String, String> machine, String argLine) throws Exception {
        String token = info.get("token");
        URI crm = URI.create(gateway + CRM_PATH);
        String genesys = gateway + GENESYS_PATH;
        String pgStatements = pgStatStatements();

        // warm-up: every code path the measured windows take (CRM writes, signed webhook writes, replays)
        log("warm-up: " + opts.warmup() + " s per endpoint...");
        wrk("crm-status.lua", 16, opts.warmup(), crm.toString(), List.of("warm-" + stamp, token, "1000"));
        Path warmFiles = presign("warm", 20_000);
        wrk("signed.lua", 16, opts.warmup(), genesys, List.of(warmFiles.toString()));
        Storm warmStorm = prepareStorm("warm");
        wrk("storm.lua", 16, opts.warmup(), genesys, warmStorm.args(20_000, opts.wrkThreads()));

        // 1. the steady load alone
        double quiet1 = quiet();
        log("phase 1: steady load alone, " + fmt(opts.steadyRate()) + " req/s for " + opts.steadySeconds() + " s"
                + " (pipeline quiet after " + fmt(quiet1) + " s)");
        OpenLoopWriter writer = new OpenLoopWriter();
        PgStats pg0 = pgStats();
        Map<String, Double> m0 = metrics();
        OpenLoopWriter.Samples alone =
                writer.run(crm, opts.steadyRate(), opts.steadySeconds(), crmPost("steady1", token));
        PgStats pg1 = pgStats();
        Map<String, Double> m1 = metrics();
        OpenLoopWriter.Window aloneW = alone.all();
        log(String.format(
                Locale.ROOT,
                "steady alone: p50 %.2f ms p99 %.2f ms, %s",
                aloneW.p(50),
                aloneW.p(99),
                aloneW.statuses()));

        // 2. the same steady load beside the storm
        double quiet2 = quiet();
        Storm storm = prepareStorm("storm");
        int steady2Seconds = opts.stormSeconds() + 2;
        log("phase 2: steady load for " + steady2Seconds + " s, storm of " + opts.storm() + " deliveries of "
                + storm.eventId() + " from its second 1 (pipeline quiet after " + fmt(quiet2) + " s)");
        PgStats pg2 = pgStats();
        Map<String, Double> m2 = metrics();
        CompletableFuture<OpenLoopWriter.Samples> besideF = CompletableFuture.supplyAsync(() -> {
            try {
                return writer.run(crm, opts.steadyRate(), steady2Seconds, crmPost("steady2", token));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(1000);
        WrkRun stormRun = wrk(
                "storm.lua",
                opts.stormConnections(),
                opts.stormSeconds(),
                genesys,
                storm.args(opts.storm(), opts.wrkThreads()));
        OpenLoopWriter.Samples beside = besideF.get(120, TimeUnit.SECONDS);
        PgStats pg3 = pgStats();
        Map<String, Double> m3 = metrics();
        long from = stormRun.count("first_us");
        long to = stormRun.count("last_us");
        OpenLoopWriter.Window during = from > 0 && to > from ? beside.window(from, to) : beside.all();
        OpenLoopWriter.Window besideAll = beside.all();
        log(String.format(
                Locale.ROOT,
                "storm: %d deliveries in %.2f s (%.0f/s), %s; steady during it: p50 %.2f ms p99 %.2f ms",
                stormRun.result().requests(),
                stormRun.activeSeconds(),
                stormRun.result().requests() / stormRun.activeSeconds(),
                stormRun.counts(),
                during.p(50),
                during.p(99)));
        double quiet3 = quiet();
        long[] produced = stormRecords(storm);
        long[] stored = stormRows(storm);
        log("storm cost: " + produced[0] + " records on mutations-in for its key, " + stored[0]
                + " rows in crm_contact_updates, " + stored[1] + " in idempotency_store");

        // 3. throughput: CRM and signed webhooks, same client count and duration, in the order A B B A so
        // that neither gets the warmer JIT or the quieter minute of the machine
        List<Path> files = List.of(presign("tpa", opts.presigned() / 2), presign("tpb", opts.presigned() / 2));
        List<WrkRun> crmRuns = new ArrayList<>();
        List<WrkRun> hookRuns = new ArrayList<>();
        List<Double> drains = new ArrayList<>();
        for (String endpoint : List.of("crm", "genesys", "genesys", "crm")) {
            double q = quiet();
            drains.add(q);
            log("phase 3: " + endpoint + ", c=" + opts.connections() + " for " + opts.duration() + " s (pipeline quiet"
                    + " after " + fmt(q) + " s)");
            if (endpoint.equals("crm")) {
                crmRuns.add(wrk(
                        "crm-status.lua",
                        opts.connections(),
                        opts.duration(),
                        crm.toString(),
                        List.of("tp" + crmRuns.size() + "-" + stamp, token, Integer.toString(opts.sessions()))));
            } else {
                // each round has its own half of the prepared deliveries
                hookRuns.add(wrk(
                        "signed.lua",
                        opts.connections(),
                        opts.duration(),
                        genesys,
                        List.of(files.get(hookRuns.size()).toString())));
            }
        }
        double drainLast = quiet();
        drains.add(drainLast);
        writer.close();

        return render(
                machine,
                argLine,
                pgStatements,
                aloneW,
                alone,
                during,
                besideAll,
                stormRun,
                storm,
                pg1.minus(pg0),
                pg3.minus(pg2),
                delta(m0, m1),
                delta(m2, m3),
                produced,
                stored,
                quiet3,
                crmRuns,
                hookRuns,
                drains);
    }

    // ------------------------------------------------------------------ loads

    private OpenLoopWriterPosts crmPost(String phase, String token) {
        return new OpenLoopWriterPosts(phase, token);
    }

    /** CRM updates with distinct keys over {@code sessions} sessions, the body of post.lua. */
    private final class OpenLoopWriterPosts implements java.util.function.IntFunction<OpenLoopWriter.Post> {
        private final String prefix;
        private final String token;

        OpenLoopWriterPosts(String phase, String token) {
            this.prefix = phase + "-" + stamp + "-";
            this.token = token;
        }

        @Override
        public OpenLoopWriter.Post apply(int i) {
            String body = String.format(
                    Locale.ROOT,
                    "{\"session_id\":\"session_%d\",\"contact_id\":\"cust_%d\",\"operation\":\"UPDATE_NOTES\","
                            + "\"payload\":{\"interaction_type\":\"voice\",\"agent_id\":\"agent_8821\",\"notes\":\"%s\","
                            + "\"timestamp\":\"2024-05-15T14:32:00Z\"}}",
                    (i * 7L + 131) % opts.sessions(),
                    i % 5000,
                    NOTES);
            return new OpenLoopWriter.Post(
                    body.getBytes(StandardCharsets.UTF_8),
                    "Content-Type",
                    "application/json",
                    "Authorization",
                    "Bearer " + token,
                    "Idempotency-Key",
                    prefix + i);
        }
    }

    private static final String NOTES =
            "Caller asked to move the follow-up call to Thursday morning and to send the revised offer by"
                    + " e-mail; confirmed the billing address and the preferred contact window. Escalation not needed,"
                    + " sentiment neutral to positive, next step owned by the account team. Customer mentioned a"
                    + " competing quote.";

    /** A Genesys Cloud conversation notification of about the CRM update's size. */
    static String genesysBody(String conversationId, String correlationId, Instant at) {
        return "{\"topicName\":\"v2.detail.events.conversation." + conversationId + ".customer.end\","
                + "\"version\":\"2\",\"eventBody\":{\"eventTime\":\"" + at + "\","
                + "\"conversationId\":\"" + conversationId + "\","
                + "\"participantId\":\"5c4d2a7e-3f1b-4e8a-9d6c-2b7f0e1a9c34\","
                + "\"sessionId\":\"8e2f6b1c-7a4d-4c3e-b5f9-0d1e2a3b4c5d\","
                + "\"disconnectType\":\"client\",\"mediaType\":\"VOICE\",\"direction\":\"INBOUND\","
                + "\"ani\":\"tel:+15550100\",\"dnis\":\"tel:+15550199\",\"queueId\":\"queue-support-emea\","
                + "\"divisionId\":\"division-home\",\"provider\":\"Edge\",\"wrapupCode\":\"follow-up\"},"
                + "\"metadata\":{\"CorrelationId\":\"" + correlationId + "\"}}";
    }

    /** The one notification of a storm, its body file and its table of timestamps signed ahead. */
    record Storm(String conversationId, String eventId, String webhookId, Path body, Path signatures) {

        List<String> args(int total, int threads) {
            return List.of(
                    signatures.toString(),
                    webhookId,
                    body.toString(),
                    Integer.toString(total),
                    Integer.toString(threads));
        }
    }

    private Storm prepareStorm(String name) throws IOException {
        String suffix = name + "-" + stamp + "-" + Long.toHexString(System.nanoTime());
        String conversation = "conv-" + suffix;
        String event = "evt-" + suffix;
        String webhookId = "msg_" + suffix;
        Instant now = Instant.now();
        byte[] body = genesysBody(conversation, event, now).getBytes(StandardCharsets.UTF_8);
        Path bodyFile = work.resolve(name + "-body.json");
        Files.write(bodyFile, body);
        // every second of the next few minutes signed ahead: the sender re-signs each retry with its time
        StringBuilder table = new StringBuilder();
        long first = now.getEpochSecond() - 2;
        for (long ts = first; ts < first + 240; ts++) {
            table.append(ts)
                    .append(' ')
                    .append(StandardWebhooks.signature(secret, webhookId, ts, body))
                    .append('\n');
        }
        Path sigFile = work.resolve(name + "-signatures.txt");
        Files.writeString(sigFile, table, StandardCharsets.UTF_8);
        return new Storm(conversation, event, webhookId, bodyFile, sigFile);
    }

    /** {@code count} distinct signed notifications, split into one file per wrk thread; returns the prefix. */
    private Path presign(String name, int count) throws IOException {
        Path prefix = work.resolve(name + "-signed");
        long ts = Instant.now().getEpochSecond();
        int perThread = (count + opts.wrkThreads() - 1) / opts.wrkThreads();
        int n = 0;
        for (int t = 1; t <= opts.wrkThreads(); t++) {
            try (BufferedWriter out =
                    Files.newBufferedWriter(Path.of(prefix + "-" + t + ".tsv"), StandardCharsets.UTF_8)) {
                for (int i = 0; i < perThread; i++, n++) {
                    String conversation = "conv-" + name + "-" + (n % opts.sessions());
                    String event = name + "-" + stamp + "-" + t + "-" + i;
                    String id = "msg_" + event;
                    byte[] body = genesysBody(conversation, event, Instant.ofEpochSecond(ts))
                            .getBytes(StandardCharsets.UTF_8);
                    out.write(id);
                    out.write('\t');
                    out.write(Long.toString(ts));
                    out.write('\t');
                    out.write(StandardWebhooks.signature(secret, id, ts, body));
                    out.write('\t');
                    out.write(new String(body, StandardCharsets.UTF_8));
                    out.write('\n');
                }
            }
        }
        return prefix;
    }

    private static final Pattern KV = Pattern.compile("(\\w+)=(\\S+)");

    private WrkRun wrk(String script, int connections, int seconds, String url, List<String> args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(
                "wrk",
                "-t" + opts.wrkThreads(),
                "-c" + connections,
                "-d" + seconds + "s",
                "--timeout",
                "10s",
                "-s",
                work.resolve(script).toString(),
                url,
                "--"));
        command.addAll(args);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = p.waitFor();
        Map<String, String> kv = new HashMap<>();
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String line : out.lines().toList()) {
            if (line.startsWith("WRKRESULT") || line.startsWith("WRKSTATUS")) {
                Matcher m = KV.matcher(line);
                while (m.find()) {
                    if (line.startsWith("WRKRESULT")) {
                        kv.put(m.group(1), m.group(2));
                    } else {
                        counts.put(m.group(1), (long) Double.parseDouble(m.group(2)));
                    }
                }
            }
        }
        if (!kv.containsKey("requests")) {
            throw new IllegalStateException("wrk exited " + code + " without a result:\n" + out);
        }
        long n = Long.parseLong(kv.get("requests"));
        Wrk.Result r = new Wrk.Result(
                n,
                Long.parseLong(kv.get("duration_us")) / 1e6,
                Long.parseLong(kv.get("status")),
                Long.parseLong(kv.get("connect")) + Long.parseLong(kv.get("read")) + Long.parseLong(kv.get("write")),
                Long.parseLong(kv.get("timeout")),
                Long.parseLong(kv.get("p50_us")) / 1e3,
                Long.parseLong(kv.get("p90_us")) / 1e3,
                Long.parseLong(kv.get("p99_us")) / 1e3,
                Long.parseLong(kv.get("max_us")) / 1e3,
                out.lines().filter(l -> l.startsWith("WRKRESULT")).findFirst().orElse(""));
        WrkRun run = new WrkRun(r, counts);
        log(String.format(
                Locale.ROOT,
                "%s c=%d: %d answers, %.0f/s, p50 %.2f ms p99 %.2f ms, %s",
                script,
                connections,
                n,
                n / run.activeSeconds(),
                r.p50Ms(),
                r.p99Ms(),
                counts));
        return run;
    }

    // ------------------------------------------------------------------ what the pipeline did

    /** Waits until the sink's row count has not moved for 2 s (the pipeline caught up); returns seconds. */
    private double quiet() throws SQLException, InterruptedException {
        long start = System.nanoTime();
        long last = -1;
        long since = start;
        try (Connection c = db();
                Statement s = c.createStatement()) {
            while (true) {
                long rows = count(s, "SELECT count(*) FROM crm_contact_updates");
                long now = System.nanoTime();
                if (rows != last) {
                    last = rows;
                    since = now;
                } else if (now - since >= TimeUnit.SECONDS.toNanos(2)) {
                    break;
                }
                if (now - start > TimeUnit.SECONDS.toNanos(120)) {
                    notes.add("The sink's row count was still moving after 120 s of waiting for the pipeline to"
                            + " catch up; the next window ran beside that backlog.");
                    break;
                }
                Thread.sleep(250);
            }
        }
        return Math.max(0, (System.nanoTime() - start) / 1e9 - 2);
    }

    private PgStats pgStats() throws SQLException, InterruptedException {
        // backends report their counters to the statistics system at most about once a second
        Thread.sleep(1100);
        try (Connection c = db();
                Statement s = c.createStatement()) {
            s.execute("SELECT pg_stat_clear_snapshot()");
            long[] v = new long[9];
            try (ResultSet rs = s.executeQuery("SELECT d.xact_commit, d.xact_rollback, d.tup_returned, d.tup_fetched,"
                    + " d.tup_inserted, d.tup_updated,"
                    + " (SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = 'crm_contact_updates'),"
                    + " (SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables"
                    + "  WHERE relname = 'idempotency_store'),"
                    + " (SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = 'idempotency_store')"
                    + " FROM pg_stat_database d WHERE d.datname = current_database()")) {
                rs.next();
                for (int i = 0; i < v.length; i++) {
                    v[i] = rs.getLong(i + 1);
                }
            }
            return new PgStats(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], System.nanoTime());
        }
    }

    private String pgStatStatements() {
        try (Connection c = db();
                Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT current_setting('shared_preload_libraries')")) {
                rs.next();
                String libs = rs.getString(1);
                return libs.contains("pg_stat_statements")
                        ? "loaded (not used: pg_stat_database already separates the phases)"
                        : "not loaded in the local PostgreSQL (shared_preload_libraries='" + libs + "'), so"
                                + " pg_stat_database counters are used";
            }
        } catch (SQLException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    /** {records on mutations-in keyed by the storm's session, of which carrying its event id}. */
    private long[] stormRecords(Storm storm) {
        String topic = TopicCatalog.fromEnv(System.getenv()).mutationsIn.name();
        byte[] keyBytes = storm.conversationId().getBytes(StandardCharsets.UTF_8);
        byte[] eventBytes = storm.eventId().getBytes(StandardCharsets.UTF_8);
        long keyed = 0;
        long withEvent = 0;
        long scanned = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        info.get("bootstrap"),
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_uncommitted",
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
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline && parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    scanned++;
                    boolean mine = r.key() != null && Arrays.equals(r.key(), keyBytes);
                    if (mine) {
                        keyed++;
                        if (r.value() != null && indexOf(r.value(), eventBytes) >= 0) {
                            withEvent++;
                        }
                    }
                }
            }
        }
        notes.add("mutations-in (" + topic + ") scanned from its beginning after the storm: " + scanned + " records.");
        return new long[] {keyed, withEvent};
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** {rows of the storm's session in crm_contact_updates, rows of its key in idempotency_store}. */
    private long[] stormRows(Storm storm) throws SQLException {
        try (Connection c = db();
                PreparedStatement a =
                        c.prepareStatement("SELECT count(*) FROM crm_contact_updates WHERE session_id = ?");
                PreparedStatement b =
                        c.prepareStatement("SELECT count(*) FROM idempotency_store WHERE idempotency_key = ?")) {
            a.setString(1, storm.conversationId());
            b.setString(1, storm.eventId());
            return new long[] {count(a), count(b)};
        }
    }

    private static long count(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static long count(PreparedStatement s) throws SQLException {
        try (ResultSet rs = s.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private Connection db() throws SQLException {
        return DriverManager.getConnection(info.get("jdbc"), info.get("dbuser"), info.get("dbpassword"));
    }

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*\\})?\\s+(\\S+)");
    private static final Pattern LABEL = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    /**
     * The gateway's answer counters from /metrics: {@code outcome=<o>} from splitguard_gateway_requests_total,
     * {@code http <status> <uri>} from the HTTP server's request timer, when it is exported.
     */
    private Map<String, Double> metrics() {
        Map<String, Double> out = new TreeMap<>();
        try {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create(gateway + "/metrics"))
                            .timeout(Duration.ofSeconds(10))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            for (String line : r.body().lines().toList()) {
                Matcher m = SAMPLE.matcher(line);
                if (!m.find()) {
                    continue;
                }
                Map<String, String> labels = new HashMap<>();
                if (m.group(2) != null) {
                    Matcher l = LABEL.matcher(m.group(2));
                    while (l.find()) {
                        labels.put(l.group(1), l.group(2));
                    }
                }
                double v = Double.parseDouble(m.group(3));
                if (m.group(1).equals("splitguard_gateway_requests_total")) {
                    out.merge("outcome=" + labels.get("outcome"), v, Double::sum);
                } else if (m.group(1).equals("http_server_requests_seconds_count")
                        && labels.getOrDefault("uri", "").startsWith("/api/")) {
                    out.merge("http " + labels.get("status") + " " + labels.get("uri"), v, Double::sum);
                }
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            notes.add("Reading /metrics failed: " + e);
        }
        return out;
    }

    private static Map<String, Double> delta(Map<String, Double> before, Map<String, Double> after) {
        Map<String, Double> d = new TreeMap<>();
        after.forEach((k, v) -> {
            double x = v - before.getOrDefault(k, 0.0);
            if (x != 0) {
                d.put(k, x);
            }
        });
        return d;
    }

    // ------------------------------------------------------------------ report

    private String render(
            Map<String, String> machine,
            String argLine,
            String pgStatements,
            OpenLoopWriter.Window alone,
            OpenLoopWriter.Samples aloneSamples,
            OpenLoopWriter.Window during,
            OpenLoopWriter.Window besideAll,
            WrkRun storm,
            Storm stormEvent,
            PgStats pgAlone,
            PgStats pgStorm,
            Map<String, Double> mAlone,
            Map<String, Double> mStorm,
            long[] produced,
            long[] stored,
            double quietAfterStorm,
            List<WrkRun> crm,
            List<WrkRun> hook,
            List<Double> drains) {
        StringBuilder b = new StringBuilder();
        b.append("# Storm benchmark: run of ")
                .append(LocalDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm")))
                .append(" UTC\n\n");
        b.append("Command: `bench/storm.sh")
                .append(argLine.isBlank() ? "" : " " + argLine)
                .append("`\n\n");
        b.append("Machine: ")
                .append(machine.get("nproc"))
                .append(" CPUs (")
                .append(machine.get("cpu"))
                .append("), ");
        b.append(machine.get("mem")).append(", ").append(machine.get("java")).append("; load average before the run ");
        b.append(machine.get("load"))
                .append(". Everything (pipeline JVM, PostgreSQL, wrk, this client) shares it.\n\n");

        double stormSecs = storm.activeSeconds();
        long stormN = storm.result().requests();
        b.append("## 1–2. Legitimate load alone and beside the storm\n\n");
        b.append(String.format(
                Locale.ROOT,
                "Legitimate load: CRM updates with distinct keys over %d sessions at %s req/s, open loop (latency from"
                        + " the intended send time). Storm: one signed Genesys notification (one webhook-id, one body,"
                        + " timestamp re-signed each second), %d wrk connections, at most %d deliveries or %d s.\n\n",
                opts.sessions(),
                fmt(opts.steadyRate()),
                opts.stormConnections(),
                opts.storm(),
                opts.stormSeconds()));
        b.append("| window | requests | p50 ms | p90 ms | p99 ms | max ms | answers |\n");
        b.append("|---|---:|---:|---:|---:|---:|---|\n");
        row(b, "steady alone (" + opts.steadySeconds() + " s)", alone);
        row(b, String.format(Locale.ROOT, "steady during the storm (%.1f s)", stormSecs), during);
        row(b, "steady, whole window of phase 2", besideAll);
        double ratio50 = during.p(50) / alone.p(50);
        double ratio99 = during.p(99) / alone.p(99);
        b.append(String.format(
                Locale.ROOT,
                "\n**Ratio during the storm / alone: p50 %.2f×, p99 %.2f×** (target p99 ≤ 2×: %s).\n\n",
                ratio50,
                ratio99,
                ratio99 <= 2 ? "met" : "not met"));

        b.append("### The storm\n\n");
        b.append(
                "| deliveries | in s | rate /s | 200 | of which replayed | 409 | 429 | 503 | other | wrk p50 ms | wrk p99 ms | socket errors / timeouts |\n");
        b.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        b.append(String.format(
                Locale.ROOT,
                "| %d | %.2f | %.0f | %d | %d | %d | %d | %d | %d | %.2f | %.2f | %d / %d |\n\n",
                stormN,
                stormSecs,
                stormN / stormSecs,
                storm.count("s200"),
                storm.count("replayed"),
                storm.count("s409"),
                storm.count("s429"),
                storm.count("s503"),
                storm.count("other"),
                storm.result().p50Ms(),
                storm.result().p99Ms(),
                storm.result().socketErrors(),
                storm.result().timeouts()));
        long notProduced = stormN - produced[0];
        b.append(String.format(
                Locale.ROOT,
                "- Records on mutations-in keyed by the storm's session: **%d** (carrying its event id: %d); so %d of"
                        + " %d deliveries (**%.4f %%**) were answered without a produce. Rows it left in PostgreSQL:"
                        + " %d in crm_contact_updates, %d in idempotency_store.\n",
                produced[0],
                produced[1],
                notProduced,
                stormN,
                100.0 * notProduced / Math.max(1, stormN),
                stored[0],
                stored[1]));
        b.append("- Gateway counters (/metrics), phase 1 → phase 2 deltas: ")
                .append(mAlone)
                .append(" → ")
                .append(mStorm)
                .append(".\n");
        b.append("- PostgreSQL (").append(pgStatements).append("):\n\n");
        b.append("| window | s | commits | rows inserted | rows updated | rows fetched | rows returned"
                + " | crm_contact_updates inserts | idempotency_store scans | idempotency_store inserts"
                + " | commits per 1000 CRM rows |\n");
        b.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        pgRow(b, "phase 1 (steady alone)", pgAlone);
        pgRow(b, "phase 2 (steady + storm)", pgStorm);
        // the sink's INSERT ... ON CONFLICT into idempotency_store checks the key's index once per mutation it
        // applies; a scan the rows written do not explain would be a lookup the storm caused (a window's rows
        // lag its requests when the sink has a backlog, so its request count would not do as the baseline)
        b.append(String.format(
                Locale.ROOT,
                "\nidempotency_store scans beyond one per CRM row written: phase 1 %+d, phase 2 %+d, for %d storm"
                        + " deliveries. Commits per row vary with the sink's batch sizes (a backlog makes bigger"
                        + " batches); both phases include this harness's own statistics queries.\n\n",
                pgAlone.storeScans() - pgAlone.rows(),
                pgStorm.storeScans() - pgStorm.rows(),
                stormN));
        b.append("## 3. Throughput: signed webhooks beside CRM updates\n\n");
        b.append(String.format(
                Locale.ROOT,
                "Same wrk client, %d threads, %d connections, %d s per point, distinct keys, in the order CRM, webhook,"
                        + " webhook, CRM; the webhook deliveries are"
                        + " Genesys notifications signed beforehand (%d prepared), verified by the gateway.\n\n",
                opts.wrkThreads(),
                opts.connections(),
                opts.duration(),
                opts.presigned()));
        b.append(
                "| endpoint | answers | answers/s | 200/s | p50 ms | p90 ms | p99 ms | 409 | 429 | 503 | other | replayed | pipeline caught up after |\n");
        b.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        tpRow(b, "1. CRM `" + CRM_PATH + "` (bearer token)", crm.get(0), drains.get(1));
        tpRow(b, "2. Genesys `" + GENESYS_PATH + "` (signature)", hook.get(0), drains.get(2));
        tpRow(b, "3. Genesys `" + GENESYS_PATH + "` (signature)", hook.get(1), drains.get(3));
        tpRow(b, "4. CRM `" + CRM_PATH + "` (bearer token)", crm.get(1), drains.get(4));
        double crmRate = crm.stream()
                .mapToDouble(r -> r.count("s200") / r.result().seconds())
                .sum();
        double hookRate = hook.stream()
                .mapToDouble(r -> r.count("s200") / r.result().seconds())
                .sum();
        b.append(String.format(
                Locale.ROOT,
                "\n**Webhook / CRM throughput (200 answers per second, both rounds): %.2f×** (%.0f vs %.0f per"
                        + " second on average). The last column is how long the topology and sink needed after the"
                        + " point to write everything it accepted.\n",
                hookRate / crmRate,
                hookRate / hook.size(),
                crmRate / crm.size()));
        long wrapped = hook.stream().mapToLong(r -> r.count("wrapped")).sum();
        if (wrapped > 0) {
            b.append("\nThe webhook point ran out of prepared deliveries and started over (")
                    .append(wrapped)
                    .append(" times): the deliveries after that were replays; raise --presigned.\n");
        }
        b.append("\n## Notes\n\n");
        b.append(String.format(
                Locale.ROOT,
                "- Pipeline caught up %.1f s after the storm phase; storm event id `%s`.\n",
                quietAfterStorm,
                stormEvent.eventId()));
        b.append(String.format(
                Locale.ROOT,
                "- Steady load alone: %d requests sent at %s req/s.\n",
                aloneSamples.dueEpochMicros().length,
                fmt(aloneSamples.rate())));
        for (String n : notes) {
            b.append("- ").append(n).append('\n');
        }
        return b.toString();
    }

    private static void row(StringBuilder b, String name, OpenLoopWriter.Window w) {
        b.append(String.format(
                Locale.ROOT,
                "| %s | %d | %.2f | %.2f | %.2f | %.2f | %s%s |\n",
                name,
                w.count(),
                w.p(50),
                w.p(90),
                w.p(99),
                w.latencyMicros().getTotalCount() == 0
                        ? Double.NaN
                        : w.latencyMicros().getMaxValue() / 1000.0,
                w.statuses().entrySet().stream()
                        .map(e -> (e.getKey() < 0 ? "error" : e.getKey().toString()) + "×" + e.getValue())
                        .collect(Collectors.joining(", ")),
                w.unanswered() > 0 ? ", unanswered×" + w.unanswered() : ""));
    }

    private static void pgRow(StringBuilder b, String name, PgStats p) {
        b.append(String.format(
                Locale.ROOT,
                "| %s | %.1f | %d | %d | %d | %d | %d | %d | %d | %d | %.1f |\n",
                name,
                p.seconds(),
                p.xactCommit(),
                p.tupInserted(),
                p.tupUpdated(),
                p.tupFetched(),
                p.tupReturned(),
                p.rows(),
                p.storeScans(),
                p.storeInserts(),
                1000.0 * p.xactCommit() / Math.max(1, p.rows())));
    }

    private static void tpRow(StringBuilder b, String name, WrkRun r, double drain) {
        double s = r.result().seconds();
        b.append(String.format(
                Locale.ROOT,
                "| %s | %d | %.0f | %.0f | %.2f | %.2f | %.2f | %d | %d | %d | %d | %d | %.1f s |\n",
                name,
                r.result().requests(),
                r.result().requests() / s,
                r.count("s200") / s,
                r.result().p50Ms(),
                r.result().p90Ms(),
                r.result().p99Ms(),
                r.count("s409"),
                r.count("s429"),
                r.count("s503"),
                r.count("other"),
                r.count("replayed"),
                drain));
    }

    // ------------------------------------------------------------------ plumbing

    private static Map<String, String> machine() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("nproc", Integer.toString(Runtime.getRuntime().availableProcessors()));
        String cpu = "unknown CPU";
        String mem = "memory unknown";
        String load = "unknown";
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
            load = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+", 4)[0];
        } catch (IOException | RuntimeException e) {
            // reported as unknown
        }
        m.put("cpu", cpu);
        m.put("mem", mem);
        m.put("load", load);
        m.put(
                "java",
                "Java " + System.getProperty("java.runtime.version") + " (" + System.getProperty("java.vm.name") + ")");
        return m;
    }

    /** The {@code BENCH key=value} lines {@link PipelineHost} prints, up to {@code BENCH ready}. */
    static Map<String, String> readInfo(Child child) throws InterruptedException {
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

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    static void log(String message) {
        BenchMain.log(message);
    }
}
