package io.splitguard.bench;

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
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The health bench ({@code bench/health.sh}): how many {@code GET /health} requests the gateway answers
 * alone and under a steady write load, proof that answering them calls no dependency (the health checks'
 * own run counters, before and after, against the number of requests), and how long it takes from the
 * database going down to {@code 503} and from its return to {@code 200}.
 *
 * <p>The whole local pipeline runs in one child JVM ({@link PipelineHost}), on the launcher's embedded
 * broker and throwaway PostgreSQL, with the product's health settings unless the environment sets them.
 */
public final class HealthBench {

    record Opts(int seconds, int warmup, int connections, int wrkThreads, double writeRate, String heap) {

        static Opts parse(String[] args) {
            Map<String, String> a = new HashMap<>();
            for (String arg : args) {
                if (arg.equals("--help")) {
                    System.out.println(
                            """
                            bench/health.sh [options]
                              --seconds=15        length of each /health window
                              --warmup=5          seconds of /health load before measuring
                              --connections=16    wrk connections on /health
                              --wrk-threads=2     wrk threads
                              --write-rate=300    CRM updates per second beside /health in the second window
                              --heap=1g           -Xms/-Xmx of the pipeline JVM
                            """);
                    System.exit(0);
                }
                int eq = arg.indexOf('=');
                if (!arg.startsWith("--") || eq < 0) {
                    throw new IllegalArgumentException("not an option: " + arg);
                }
                a.put(arg.substring(2, eq), arg.substring(eq + 1));
            }
            return new Opts(
                    Integer.parseInt(a.getOrDefault("seconds", "15")),
                    Integer.parseInt(a.getOrDefault("warmup", "5")),
                    Integer.parseInt(a.getOrDefault("connections", "16")),
                    Integer.parseInt(a.getOrDefault("wrk-threads", "2")),
                    Double.parseDouble(a.getOrDefault("write-rate", "300")),
                    a.getOrDefault("heap", "1g"));
        }
    }

    /** The health checks' run counter: one sample per component of the composite health. */
    static final String CHECK_RUNS = "splitguard_health_check_duration_seconds_count";

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*\\})?\\s+(\\S+)");

    private final Opts opts;
    private final Path work;
    private final String stamp;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final List<String> notes = new ArrayList<>();
    private String gateway;

    private HealthBench(Opts opts) {
        this.opts = opts;
        this.stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd-HHmm"));
        this.work = Path.of(System.getProperty("java.io.tmpdir"), "splitguard-health-" + stamp);
    }

    public static void main(String[] args) throws Exception {
        HealthBench bench = new HealthBench(Opts.parse(args));
        String report = bench.run(String.join(" ", args));
        System.out.println(report);
        Path out = Path.of("bench", "results", "health-" + bench.stamp + ".md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, report, StandardCharsets.UTF_8);
        System.out.println("Written to " + out);
        System.exit(0);
    }

    private static void log(String message) {
        System.err.println("[health] " + message);
    }

    private String run(String argLine) throws Exception {
        Files.createDirectories(work);
        Path script = work.resolve("get.lua");
        try (InputStream in = HealthBench.class.getResourceAsStream("get.lua")) {
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        log("work directory " + work + "; the pipeline's log is there");
        try (Child pipeline = PipelineHost.launch(
                work, PipelineHost.jvmOptions(work, opts.heap()), System.getProperty("java.class.path"), Map.of())) {
            Map<String, String> info = StormBench.readInfo(pipeline);
            gateway = info.get("gateway").replace("//localhost:", "//127.0.0.1:");
            log("pipeline up: gateway " + gateway);
            return measure(pipeline, info.get("token"), new Wrk(script, opts.wrkThreads(), 1), argLine);
        }
    }

    private String measure(Child pipeline, String token, Wrk wrk, String argLine) throws Exception {
        String health = gateway + "/health";
        Duration healthyBy = untilStatus(health, 200, Duration.ofMinutes(3));
        log("/health answered 200 " + secs(healthyBy) + " s after the pipeline was up");
        log("warm-up: " + opts.warmup() + " s of /health");
        wrk.run(health, opts.connections(), opts.warmup(), "warm", null);

        // 1. /health alone
        double runs0 = checkRuns();
        Wrk.Result alone = wrk.run(health, opts.connections(), opts.seconds(), "alone", null);
        double runs1 = checkRuns();
        log(String.format(Locale.ROOT, "alone: %.0f req/s", alone.acceptedPerSecond()));

        // 2. /health beside a steady open-loop write load
        OpenLoopWriter writer = new OpenLoopWriter();
        URI crm = URI.create(gateway + BenchMain.GATEWAY_PATH);
        CompletableFuture<OpenLoopWriter.Samples> writes = CompletableFuture.supplyAsync(() -> {
            try {
                return writer.run(crm, opts.writeRate(), opts.seconds(), i -> crmPost(token, i));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        });
        double runs2 = checkRuns();
        Wrk.Result loaded = wrk.run(health, opts.connections(), opts.seconds(), "loaded", null);
        double runs3 = checkRuns();
        OpenLoopWriter.Window written = writes.get().all();
        writer.close();
        log(String.format(Locale.ROOT, "under writes: %.0f req/s", loaded.acceptedPerSecond()));

        // 3. the database down and back
        pipeline.send("pg-stop");
        pipeline.await("PG stopped", 60);
        Duration toUnhealthy = untilStatus(health, 503, Duration.ofMinutes(2));
        String unhealthyBody = body(health);
        log("database down: /health 503 after " + secs(toUnhealthy) + " s");
        pipeline.send("pg-start");
        pipeline.await("PG started", 120);
        Duration toHealthy = untilStatus(health, 200, Duration.ofMinutes(3));
        log("database back: /health 200 after " + secs(toHealthy) + " s");

        return report(
                argLine, alone, runs1 - runs0, loaded, runs3 - runs2, written, toUnhealthy, toHealthy, unhealthyBody);
    }

    private OpenLoopWriter.Post crmPost(String token, int i) {
        String body = String.format(
                Locale.ROOT,
                "{\"session_id\":\"session_%d\",\"contact_id\":\"cust_%d\",\"operation\":\"UPDATE_NOTES\","
                        + "\"payload\":{\"interaction_type\":\"voice\",\"agent_id\":\"agent_8821\",\"notes\":\"health"
                        + " bench\",\"timestamp\":\"2024-05-15T14:32:00Z\"}}",
                i % 2000,
                i % 5000);
        return new OpenLoopWriter.Post(
                body.getBytes(StandardCharsets.UTF_8),
                "Content-Type",
                "application/json",
                "Authorization",
                "Bearer " + token,
                "Idempotency-Key",
                "health-" + stamp + "-" + i);
    }

    /** Polls {@code url} every 50 ms until it answers {@code status}; how long that took. */
    private Duration untilStatus(String url, int status, Duration max) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + max.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                int got = http.send(
                                HttpRequest.newBuilder(URI.create(url))
                                        .timeout(Duration.ofSeconds(2))
                                        .build(),
                                HttpResponse.BodyHandlers.discarding())
                        .statusCode();
                if (got == status) {
                    return Duration.ofNanos(System.nanoTime() - start);
                }
            } catch (IOException e) {
                // not answering is not the status asked for: keep polling
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException(url + " did not answer " + status + " within " + max);
    }

    private String body(String url) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString())
                    .body();
        } catch (IOException | InterruptedException e) {
            return "(no answer: " + e + ")";
        }
    }

    /** The health checks' runs so far, all components together, from the gateway's /metrics. */
    private double checkRuns() throws IOException, InterruptedException {
        String metrics = http.send(
                        HttpRequest.newBuilder(URI.create(gateway + "/metrics"))
                                .timeout(Duration.ofSeconds(10))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
        double runs = 0;
        boolean found = false;
        for (String line : metrics.lines().toList()) {
            Matcher m = SAMPLE.matcher(line);
            if (m.find() && m.group(1).equals(CHECK_RUNS)) {
                runs += Double.parseDouble(m.group(3));
                found = true;
            }
        }
        if (!found) {
            throw new IllegalStateException("the gateway's /metrics has no " + CHECK_RUNS);
        }
        return runs;
    }

    private String report(
            String argLine,
            Wrk.Result alone,
            double runsAlone,
            Wrk.Result loaded,
            double runsLoaded,
            OpenLoopWriter.Window written,
            Duration toUnhealthy,
            Duration toHealthy,
            String unhealthyBody) {
        StringBuilder md = new StringBuilder();
        md.append("# Health bench, ").append(stamp).append("\n\n");
        md.append("Command: `bench/health.sh ")
                .append(argLine)
                .append("`; machine: ")
                .append(Runtime.getRuntime().availableProcessors())
                .append(" CPUs, Java ")
                .append(System.getProperty("java.runtime.version"))
                .append("; the whole pipeline in one JVM (-Xmx")
                .append(opts.heap())
                .append("), wrk ")
                .append(opts.wrkThreads())
                .append(" threads × ")
                .append(opts.connections())
                .append(" connections on `GET /health`.\n\n");
        md.append("| window | /health requests | req/s | non-2xx | socket errors | p50 ms | p99 ms | max ms |"
                + " health check runs in the window | check runs per request |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        row(md, "alone", alone, runsAlone);
        row(md, "beside " + SPEED.format(opts.writeRate()) + " writes/s", loaded, runsLoaded);
        md.append(String.format(
                Locale.ROOT,
                "%nWrites beside it: %d sent open-loop at %.0f/s, %d answered 200, p50 %.1f ms, p99 %.1f ms,"
                        + " %d unanswered.%n%n",
                written.count(),
                opts.writeRate(),
                written.ok(),
                written.p(50),
                written.p(99),
                written.unanswered()));
        md.append(String.format(
                Locale.ROOT,
                "Database down (`pg_ctl stop -m immediate`): `/health` answered 503 after **%.2f s**; back"
                        + " (`pg_ctl start`, crash recovery): 200 again after **%.2f s** (both polled every 50 ms).%n",
                toUnhealthy.toMillis() / 1000.0,
                toHealthy.toMillis() / 1000.0));
        md.append("\nThe 503 answer:\n\n```json\n")
                .append(unhealthyBody.length() > 1500 ? unhealthyBody.substring(0, 1500) + " …" : unhealthyBody)
                .append("\n```\n");
        notes.forEach(n -> md.append("\n- ").append(n));
        return md.toString();
    }

    private static final java.text.DecimalFormat SPEED =
            new java.text.DecimalFormat("#,##0", java.text.DecimalFormatSymbols.getInstance(Locale.ROOT));

    private static void row(StringBuilder md, String name, Wrk.Result r, double runs) {
        md.append(String.format(
                Locale.ROOT,
                "| %s | %d | %.0f | %d | %d | %.2f | %.2f | %.1f | %.0f | %.5f |%n",
                name,
                r.requests(),
                r.requests() / r.seconds(),
                r.statusErrors(),
                r.socketErrors(),
                r.p50Ms(),
                r.p99Ms(),
                r.maxMs(),
                runs,
                r.requests() == 0 ? 0 : runs / r.requests()));
    }

    private static String secs(Duration d) {
        return String.format(Locale.ROOT, "%.2f", d.toMillis() / 1000.0);
    }
}
