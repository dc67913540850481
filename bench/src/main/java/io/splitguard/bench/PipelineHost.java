package io.splitguard.bench;

import io.splitguard.launcher.LocalPipeline;
import io.splitguard.launcher.Pipeline;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The full local pipeline (embedded broker, PostgreSQL, topics, sink, dedup topology, gateway) in
 * one JVM, driven by the harness over standard input/output:
 *
 * <ul>
 *   <li>on start it prints {@code BENCH key=value} lines (gateway, token, jdbc, ...) and {@code BENCH ready};
 *   <li>{@code mark} remembers every live thread's CPU time;
 *   <li>{@code cpu} prints {@code CPU gateway=ns topology=ns sink=ns broker=ns} with the CPU each group
 *       of threads used since the last mark (threads started since count from zero);
 *   <li>{@code threads} prints each thread's name, group and CPU time (to check the grouping);
 *   <li>{@code quit} or end of input stops the pipeline.
 * </ul>
 *
 * CPU of the JVM's own threads (GC, JIT) and of threads that exited is not in any group; the harness
 * reads the process total from /proc and reports the rest as "JVM/other".
 */
public final class PipelineHost {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private PipelineHost() {}

    /** The pipeline JVM's options: a fixed heap of {@code heap}, G1, the bench's logging, temp files in {@code work}. */
    static List<String> jvmOptions(Path work, String heap) {
        return List.of(
                "-Xms" + heap,
                "-Xmx" + heap,
                "-XX:+UseG1GC",
                "-Dlogback.configurationFile=bench-logback.xml",
                "-Djava.io.tmpdir=" + work);
    }

    /**
     * Starts this host in a child JVM on {@code classpath}, its data and log under {@code work}, the HTTP
     * port chosen freely, and no request budget for the one client a bench is (the rate limit is what a
     * bench would otherwise measure), plus {@code extraEnv}.
     */
    static Child launch(Path work, List<String> jvmOptions, String classpath, Map<String, String> extraEnv) {
        Map<String, String> env = new HashMap<>(extraEnv);
        env.put("SPLITGUARD_DATA_DIR", work.resolve("data").toString());
        env.put("SPLITGUARD_HTTP_PORT", "0");
        env.put("SPLITGUARD_GATEWAY_RATE_LIMIT_LIMIT_FOR_PERIOD", "100000000");
        return Child.start(
                "pipeline",
                jvmOptions,
                classpath,
                PipelineHost.class.getName(),
                List.of(),
                env,
                work.resolve("pipeline.log"));
    }

    public static void main(String[] args) throws IOException {
        Map<String, String> env = new HashMap<>(System.getenv());
        LocalPipeline local = LocalPipeline.start(env);
        Pipeline pipeline = local.pipeline();
        System.out.println("BENCH gateway=" + pipeline.gatewayUrl());
        System.out.println("BENCH token=" + pipeline.token(Duration.ofHours(12), "session:write", "session:read"));
        System.out.println("BENCH jdbc=" + local.jdbcUrl());
        System.out.println("BENCH dbuser=" + pipeline.settings().dbUser());
        System.out.println("BENCH dbpassword=" + nullToEmpty(pipeline.settings().dbPassword()));
        System.out.println("BENCH bootstrap=" + pipeline.settings().bootstrapServers());
        System.out.println("BENCH ready");
        System.out.flush();
        Map<Long, Long> mark = new HashMap<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                switch (line.trim()) {
                    case "mark" -> {
                        mark = snapshot();
                        System.out.println("MARKED");
                    }
                    case "cpu" -> System.out.println("CPU " + format(groupsSince(mark)));
                    case "threads" -> dumpThreads();
                        // take the database down hard and bring it back (health bench: time to 503 and back)
                    case "pg-stop" -> {
                        local.postgres().ifPresent(io.splitguard.infra.LocalPostgres::suspend);
                        System.out.println("PG stopped");
                    }
                    case "pg-start" -> {
                        local.postgres().ifPresent(io.splitguard.infra.LocalPostgres::resumeServer);
                        System.out.println("PG started");
                    }
                    case "quit" -> {
                        return;
                    }
                    default -> System.out.println("ERR unknown command " + line);
                }
                System.out.flush();
            }
        } finally {
            local.close();
            System.out.println("BENCH stopped");
            System.out.flush();
        }
    }

    /** The group a pipeline thread belongs to, from its name. */
    static String group(String threadName) {
        String n = threadName.toLowerCase(Locale.ROOT);
        if (n.contains("streamthread") || n.contains("splitguard-dedup") || n.contains("kafka-streams")) {
            return "topology";
        }
        if (n.contains("postgres-sink") || n.contains("hikari")) {
            return "sink";
        }
        if (n.contains("gateway")
                || n.contains("eventloop")
                || n.contains("event-loop")
                || n.contains("io-executor")
                || n.contains("scheduled-executor")) {
            return "gateway";
        }
        return "broker";
    }

    private static Map<Long, Long> snapshot() {
        Map<Long, Long> cpu = new HashMap<>();
        for (long id : THREADS.getAllThreadIds()) {
            long t = THREADS.getThreadCpuTime(id);
            if (t >= 0) {
                cpu.put(id, t);
            }
        }
        return cpu;
    }

    private static Map<String, Long> groupsSince(Map<Long, Long> mark) {
        Map<String, Long> groups = new LinkedHashMap<>();
        for (String g : new String[] {"gateway", "topology", "sink", "broker"}) {
            groups.put(g, 0L);
        }
        long[] ids = THREADS.getAllThreadIds();
        ThreadInfo[] infos = THREADS.getThreadInfo(ids);
        for (int i = 0; i < ids.length; i++) {
            long t = THREADS.getThreadCpuTime(ids[i]);
            if (t < 0 || infos[i] == null || infos[i].getThreadName().equals("main")) {
                continue; // main only started the pipeline and now waits for commands
            }
            long delta = t - mark.getOrDefault(ids[i], 0L);
            groups.merge(group(infos[i].getThreadName()), Math.max(0, delta), Long::sum);
        }
        return groups;
    }

    private static void dumpThreads() {
        long[] ids = THREADS.getAllThreadIds();
        ThreadInfo[] infos = THREADS.getThreadInfo(ids);
        for (int i = 0; i < ids.length; i++) {
            if (infos[i] != null) {
                String name = infos[i].getThreadName();
                System.out.printf(
                        Locale.ROOT,
                        "THREAD %-8s %10d ms  %s%n",
                        group(name),
                        THREADS.getThreadCpuTime(ids[i]) / 1_000_000,
                        name);
            }
        }
        System.out.println("THREADS end");
    }

    private static String format(Map<String, Long> groups) {
        StringBuilder sb = new StringBuilder();
        groups.forEach((k, v) -> sb.append(k).append('=').append(v).append(' '));
        return sb.toString().trim();
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
