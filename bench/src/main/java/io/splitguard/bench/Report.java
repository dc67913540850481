package io.splitguard.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Renders one run as Markdown: machine, settings, the side-by-side tables, ratios, targets, raw lines. */
final class Report {

    private Report() {}

    static String render(
            Options o,
            String argLine,
            String stamp,
            List<BenchMain.Point> points,
            EndToEnd.Result e2e,
            List<String> notes) {
        StringBuilder md = new StringBuilder();
        md.append("# SplitGuard bench, ").append(stamp).append("\n\n");
        md.append("Command: `bench/run.sh")
                .append(argLine.isBlank() ? "" : " " + argLine)
                .append("`\n\n");
        md.append("## Machine\n\n");
        md.append("- CPUs (nproc): ")
                .append(Runtime.getRuntime().availableProcessors())
                .append(", model: ")
                .append(cpuModel())
                .append('\n');
        md.append("- memory: ").append(memory()).append('\n');
        md.append("- JDK: ")
                .append(System.getProperty("java.vm.name"))
                .append(' ')
                .append(System.getProperty("java.runtime.version"))
                .append('\n');
        md.append("- kernel: ")
                .append(read("/proc/sys/kernel/osrelease").trim())
                .append('\n');
        md.append("- load generator: wrk on the same machine; wrk, the server under test, the pipeline JVM and"
                + " PostgreSQL share these cores\n\n");
        md.append("## Settings\n\n");
        md.append(String.format(
                Locale.ROOT,
                "- wrk `-t%d -c<N> -d%ds --timeout 10s`, Lua script with a unique Idempotency-Key per request and %d"
                        + " session ids, ~490-byte JSON body, keep-alive\n",
                o.wrkThreads(),
                o.durationSeconds(),
                o.sessions()));
        md.append(String.format(
                Locale.ROOT,
                "- per target: at least %d s warm-up at c=64 (then 10 s steps until two agree within 5 %%, at most %d"
                        + " s; see the notes), then per concurrency %d s of unmeasured load and %d s measured\n",
                o.warmupSeconds(),
                o.warmupMaxSeconds(),
                o.settleSeconds(),
                o.durationSeconds()));
        md.append("- every server in its own JVM (`-Xms")
                .append(o.heap())
                .append(" -Xmx")
                .append(o.heap())
                .append(" -XX:+UseG1GC`); the gateway runs in the pipeline JVM with the embedded KRaft broker,"
                        + " the dedup topology and the sink; (B) produces to that same broker\n");
        md.append("- CPU: utime+stime from /proc over the measured window, divided by the requests answered 2xx;"
                + " per-thread split of the pipeline JVM from ThreadMXBean\n\n");

        md.append("## Throughput and latency\n\n");
        md.append("| target | conc | req/s (2xx) | p50 ms | p90 ms | p99 ms | non-2xx | socket errors |"
                + " server JVM CPU µs/req | whole machine CPU µs/req | machine busy (cores) |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (BenchMain.Point p : points) {
            Wrk.Result r = p.wrk();
            md.append(String.format(
                    Locale.ROOT,
                    "| %s | %d | %.0f | %.2f | %.2f | %.2f | %d | %d | %.1f | %.1f | %.2f |\n",
                    label(p.target()),
                    p.connections(),
                    r.acceptedPerSecond(),
                    r.p50Ms(),
                    r.p90Ms(),
                    r.p99Ms(),
                    r.statusErrors(),
                    r.socketErrors() + r.timeouts(),
                    p.perRequestMicros(p.targetTicks()),
                    p.perRequestMicros(p.machineBusyTicks()),
                    p.machineCores()));
        }
        md.append("\n\"server JVM\" is the target's own process: for (A) and (B) the reference server alone; for the"
                + " gateway the pipeline JVM, which also runs the broker, the dedup topology and the sink."
                + " \"whole machine\" includes wrk and PostgreSQL.\n\n");

        md.append("## Where the CPU goes (µs per 2xx request)\n\n");
        md.append("| target | conc | reference JVM | pipeline JVM | · gateway threads | · broker threads |"
                + " · topology threads | · sink threads | · JVM (GC, JIT) and exited threads | PostgreSQL | Redis |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (BenchMain.Point p : points) {
            boolean gw = p.target().equals("gateway");
            md.append(String.format(
                    Locale.ROOT,
                    "| %s | %d | %s | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %s |\n",
                    label(p.target()),
                    p.connections(),
                    gw ? "–" : String.format(Locale.ROOT, "%.1f", p.perRequestMicros(p.targetTicks())),
                    p.perRequestMicros(p.pipelineTicks()),
                    p.groupMicros("gateway"),
                    p.groupMicros("broker"),
                    p.groupMicros("topology"),
                    p.groupMicros("sink"),
                    p.pipelineOtherMicros(),
                    p.perRequestMicros(p.postgresTicks()),
                    p.target().equals("seed")
                            ? String.format(Locale.ROOT, "%.1f", p.perRequestMicros(p.redisTicks()))
                            : "–"));
        }
        md.append("\nThreads are grouped by name (`pipeline-threads.txt` in the work directory lists them). The"
                + " gateway's send pool, producer I/O thread, outcomes listener and Netty event loops count as"
                + " gateway; unnamed pools and the broker's threads count as broker. The topology and sink work"
                + " on what the gateway accepted, partly after the window ends.\n\n");

        md.append("## Ratios, same run\n\n");
        md.append("| conc | gateway ÷ (B) req/s | gateway ÷ (A) req/s | (B) ÷ (A) req/s |"
                + " gateway-thread CPU ÷ (B) JVM CPU per request |\n");
        md.append("|---:|---:|---:|---:|---:|\n");
        for (int c : o.concurrency()) {
            Optional<BenchMain.Point> g = find(points, "gateway", c);
            Optional<BenchMain.Point> a = find(points, "bare", c);
            Optional<BenchMain.Point> b = find(points, "kafka", c);
            md.append(String.format(
                    Locale.ROOT,
                    "| %d | %s | %s | %s | %s |\n",
                    c,
                    ratio(g, b),
                    ratio(g, a),
                    ratio(b, a),
                    g.isPresent() && b.isPresent()
                            ? String.format(
                                    Locale.ROOT,
                                    "%.2f",
                                    g.get().groupMicros("gateway")
                                            / b.get().perRequestMicros(b.get().targetTicks()))
                            : "–"));
        }
        md.append('\n');

        p1(md, o, points);

        md.append("## Catch-up of the pipeline after each gateway point\n\n");
        md.append("| conc | seconds until every accepted request had its PostgreSQL row |\n|---:|---:|\n");
        for (BenchMain.Point p : points) {
            if (p.target().equals("gateway")) {
                md.append(String.format(Locale.ROOT, "| %d | %.1f |\n", p.connections(), p.drainSeconds()));
            }
        }
        md.append("\n0–1 s means the topology and sink kept up with that load; more means a backlog built up"
                + " during the window and the accepted rate is above what the whole pipeline sustains here.\n\n");

        md.append("## End to end (HTTP request to PostgreSQL row)\n\n");
        if (e2e == null) {
            md.append("Not run.\n\n");
        } else {
            md.append(String.format(
                    Locale.ROOT,
                    "Open-loop Java client at %.0f req/s for %d s: %d planned, %d sent, %d skipped (client at its"
                            + " in-flight cap of %d), %d answered 200, %d failed, %d rows found.\n\n",
                    e2e.rate(),
                    e2e.seconds(),
                    e2e.planned(),
                    e2e.sent(),
                    e2e.skipped(),
                    EndToEnd.MAX_IN_FLIGHT,
                    e2e.accepted(),
                    e2e.failed(),
                    e2e.found()));
            md.append("| measure | count | p50 ms | p90 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|---:|\n");
            row(md, "HTTP answer (send → 200)", e2e.http());
            row(md, "row `written_at` (send → sink transaction start, DB clock)", e2e.written());
            row(
                    md,
                    "row first seen by a " + e2e.pollMillis() + " ms poller (send → committed and visible)",
                    e2e.seen());
            md.append("\n`written_at` is `DEFAULT now()`, the start of the sink's transaction, so it is slightly"
                    + " earlier than the commit; the poller's figure includes the commit plus up to one poll"
                    + " interval and the query time. Both clocks are this machine's.\n\n");
        }

        md.append("## Targets (reported, not asserted)\n\n");
        int top = o.concurrency().stream().max(Integer::compare).orElse(256);
        Optional<BenchMain.Point> g = find(points, "gateway", top);
        Optional<BenchMain.Point> b = find(points, "kafka", top);
        if (g.isPresent() && b.isPresent()) {
            double share = g.get().wrk().acceptedPerSecond() / b.get().wrk().acceptedPerSecond();
            md.append(String.format(
                    Locale.ROOT,
                    "- gateway ≥ 50 %% of (B) at c=%d: %.0f %% → **%s**\n",
                    top,
                    share * 100,
                    share >= 0.5 ? "met" : "not met"));
        }
        if (e2e != null && e2e.seen().count() > 0) {
            md.append(String.format(
                    Locale.ROOT,
                    "- end-to-end p99 ≤ 250 ms at half the gateway's rate: written_at p99 %.1f ms, poller p99 %.1f ms"
                            + " → **%s**\n",
                    e2e.written().p99(),
                    e2e.seen().p99(),
                    e2e.seen().p99() <= 250
                            ? "met"
                            : (e2e.written().p99() <= 250 ? "met by written_at only" : "not met")));
        }
        md.append('\n');
        if (!notes.isEmpty()) {
            md.append("## Notes from this run\n\n");
            notes.forEach(n -> md.append("- ").append(n).append('\n'));
            md.append('\n');
        }
        md.append("## Raw wrk results (measured windows)\n\n```\n");
        for (BenchMain.Point p : points) {
            md.append(p.target())
                    .append(" c=")
                    .append(p.connections())
                    .append(": ")
                    .append(p.wrk().raw())
                    .append('\n');
        }
        md.append("```\n");
        return md.toString();
    }

    /**
     * P1: committed rows per second, SplitGuard against the seed-style baseline. The baseline answers 200
     * only after its transaction commits, so its 2xx rate is its sustained rate. The gateway answers after
     * Kafka's ack; the pipeline's sustained rate is what it wrote to PostgreSQL over the window plus the
     * catch-up the topology and sink needed afterwards (the backlog built during the window).
     */
    static void p1(StringBuilder md, Options o, List<BenchMain.Point> points) {
        md.append("## P1: sustained end-to-end throughput (HTTP request → committed PostgreSQL row)\n\n");
        md.append("| conc | seed-style baseline rows/s | its machine CPU µs/row | SplitGuard accepted req/s |"
                + " catch-up s | SplitGuard sustained rows/s | SplitGuard ÷ baseline |\n");
        md.append("|---:|---:|---:|---:|---:|---:|---:|\n");
        boolean any = false;
        for (int c : o.concurrency()) {
            Optional<BenchMain.Point> s = find(points, "seed", c);
            Optional<BenchMain.Point> g = find(points, "gateway", c);
            if (s.isEmpty() && g.isEmpty()) {
                continue;
            }
            any = true;
            double seedRate = s.map(p -> p.wrk().acceptedPerSecond()).orElse(Double.NaN);
            double sustained = g.map(BenchMain.Point::sustainedPerSecond).orElse(Double.NaN);
            md.append(String.format(
                    Locale.ROOT,
                    "| %d | %s | %s | %s | %s | %s | %s |\n",
                    c,
                    s.map(p -> String.format(Locale.ROOT, "%.0f", seedRate)).orElse("–"),
                    s.map(p -> String.format(Locale.ROOT, "%.1f", p.perRequestMicros(p.machineBusyTicks())))
                            .orElse("–"),
                    g.map(p -> String.format(Locale.ROOT, "%.0f", p.wrk().acceptedPerSecond()))
                            .orElse("–"),
                    g.map(p -> String.format(Locale.ROOT, "%.1f", p.drainSeconds()))
                            .orElse("–"),
                    g.map(p -> String.format(Locale.ROOT, "%.0f", sustained)).orElse("–"),
                    s.isPresent() && g.isPresent()
                            ? String.format(Locale.ROOT, "**%.2f**", sustained / seedRate)
                            : "–"));
        }
        if (!any) {
            md.append("| – | not measured (needs the seed and gateway targets) | | | | | |\n");
        }
        md.append("\nTarget: SplitGuard's sustained rate ≥ 2× the baseline's in the same run. \"Sustained\" for"
                + " SplitGuard = requests accepted in the window ÷ (window + the seconds until the last of them had"
                + " its row): the rate the whole pipeline wrote rows, not the gateway's accepted rate. Every"
                + " baseline 2xx is already a committed row.\n\n");
    }

    private static void row(StringBuilder md, String name, Stats.Summary s) {
        md.append(String.format(
                Locale.ROOT,
                "| %s | %d | %.1f | %.1f | %.1f | %.1f |\n",
                name,
                s.count(),
                s.p50(),
                s.p90(),
                s.p99(),
                s.max()));
    }

    private static Optional<BenchMain.Point> find(List<BenchMain.Point> points, String target, int c) {
        return points.stream()
                .filter(p -> p.target().equals(target) && p.connections() == c)
                .findFirst();
    }

    private static String ratio(Optional<BenchMain.Point> x, Optional<BenchMain.Point> y) {
        if (x.isEmpty() || y.isEmpty()) {
            return "–";
        }
        return String.format(
                Locale.ROOT,
                "%.2f",
                x.get().wrk().acceptedPerSecond() / y.get().wrk().acceptedPerSecond());
    }

    static String label(String target) {
        return switch (target) {
            case "bare" -> "(A) bare Micronaut POST";
            case "kafka" -> "(B) Micronaut → Kafka acks=all";
            case "seed" -> "(S) seed-style: Redis lock + PostgreSQL txn";
            default -> "SplitGuard gateway";
        };
    }

    private static String cpuModel() {
        return read("/proc/cpuinfo")
                .lines()
                .filter(l -> l.startsWith("model name"))
                .map(l -> l.substring(l.indexOf(':') + 1).trim())
                .findFirst()
                .orElse("unknown");
    }

    private static String memory() {
        return read("/proc/meminfo")
                .lines()
                .filter(l -> l.startsWith("MemTotal"))
                .map(l -> {
                    long kb = Long.parseLong(l.replaceAll("\\D", ""));
                    return String.format(Locale.ROOT, "%.1f GiB", kb / 1024.0 / 1024.0);
                })
                .findFirst()
                .orElse("unknown");
    }

    private static String read(String file) {
        try {
            return Files.readString(Path.of(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
