package io.splitguard.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Command-line settings of the harness ({@code --name=value}); every one has a default. */
record Options(
        int warmupSeconds,
        int warmupMaxSeconds,
        int settleSeconds,
        int durationSeconds,
        List<Integer> concurrency,
        List<String> targets,
        int wrkThreads,
        int sessions,
        double e2eRate,
        int e2eSeconds,
        int pollMillis,
        String heap,
        int seedPool,
        String redisServer,
        Path resultsDir,
        Path workDir) {

    static final String USAGE =
            """
            Options (all --name=value):
              --warmup=30          seconds of load at c=64 before a target's first point (JIT warm-up), then
                                   10 s steps until two in a row agree within 5 %
              --warmup-max=180     the most seconds of warm-up per target
              --settle=5           seconds of load at each concurrency before its measured window
              --duration=20        measured seconds per point
              --concurrency=16,64,256
              --targets=bare,kafka,seed,gateway   any subset (or none), run in this order; seed is the guide's
                                   design (Redis lock + idempotency row and update in one PostgreSQL
                                   transaction) and needs redis-server
              --wrk-threads=2
              --sessions=1000      distinct session ids in the load
              --e2e-rate=0         requests/s of the end-to-end run; 0 = half the gateway's rate at the
                                   highest concurrency (skipped if the gateway was not measured)
              --e2e-seconds=30     0 skips the end-to-end run
              --poll-ms=10         the end-to-end poller's interval
              --heap=2g            -Xms/-Xmx of every server JVM
              --seed-pool=32       HikariCP pool size of the seed-style baseline
              --redis-server=      the redis-server binary (default: found on the PATH)
              --results=bench/results
              --work=bench/target/bench-run
            """;

    static Options parse(String[] args) {
        int warmup = 30;
        int warmupMax = 180;
        int settle = 5;
        int duration = 20;
        List<Integer> conc = List.of(16, 64, 256);
        List<String> targets = List.of("bare", "kafka", "seed", "gateway");
        int threads = 2;
        int sessions = 1000;
        double rate = 0;
        int e2eSeconds = 30;
        int poll = 10;
        String heap = "2g";
        int seedPool = 32;
        String redisServer = "";
        Path results = Path.of("bench/results");
        Path work = Path.of("bench/target/bench-run");
        for (String arg : args) {
            if (arg.equals("--help") || arg.equals("-h")) {
                System.out.println(USAGE);
                System.exit(0);
            }
            int eq = arg.indexOf('=');
            if (!arg.startsWith("--") || eq < 0) {
                throw new IllegalArgumentException("expected --name=value, got " + arg + "\n" + USAGE);
            }
            String name = arg.substring(2, eq);
            String value = arg.substring(eq + 1);
            switch (name) {
                case "warmup" -> warmup = Integer.parseInt(value);
                case "warmup-max" -> warmupMax = Integer.parseInt(value);
                case "settle" -> settle = Integer.parseInt(value);
                case "duration" -> duration = Integer.parseInt(value);
                case "concurrency" -> conc = ints(value);
                case "targets" -> targets = value.equals("none") ? List.of() : List.of(value.split(","));
                case "wrk-threads" -> threads = Integer.parseInt(value);
                case "sessions" -> sessions = Integer.parseInt(value);
                case "e2e-rate" -> rate = Double.parseDouble(value);
                case "e2e-seconds" -> e2eSeconds = Integer.parseInt(value);
                case "poll-ms" -> poll = Integer.parseInt(value);
                case "heap" -> heap = value;
                case "seed-pool" -> seedPool = Integer.parseInt(value);
                case "redis-server" -> redisServer = value;
                case "results" -> results = Path.of(value);
                case "work" -> work = Path.of(value);
                default -> throw new IllegalArgumentException("unknown option --" + name + "\n" + USAGE);
            }
        }
        for (String t : targets) {
            if (!List.of("bare", "kafka", "seed", "gateway").contains(t)) {
                throw new IllegalArgumentException("unknown target " + t);
            }
        }
        return new Options(
                warmup,
                warmupMax,
                settle,
                duration,
                conc,
                targets,
                threads,
                sessions,
                rate,
                e2eSeconds,
                poll,
                heap,
                seedPool,
                redisServer,
                results,
                work);
    }

    private static List<Integer> ints(String csv) {
        List<Integer> out = new ArrayList<>();
        Arrays.stream(csv.split(",")).map(String::trim).map(Integer::parseInt).forEach(out::add);
        return List.copyOf(out);
    }
}
