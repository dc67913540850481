package io.splitguard.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Runs wrk with the shared Lua script and parses the line its {@code done()} prints. */
final class Wrk {

    record Result(
            long requests,
            double seconds,
            long statusErrors,
            long socketErrors,
            long timeouts,
            double p50Ms,
            double p90Ms,
            double p99Ms,
            double maxMs,
            String raw) {

        long accepted() {
            return requests - statusErrors;
        }

        double acceptedPerSecond() {
            return accepted() / seconds;
        }
    }

    private final Path script;
    private final int threads;
    private final int sessions;

    Wrk(Path script, int threads, int sessions) {
        this.script = script;
        this.threads = threads;
        this.sessions = sessions;
    }

    Result run(String url, int connections, int seconds, String keyPrefix, String token)
            throws IOException, InterruptedException {
        List<String> command = List.of(
                "wrk",
                "-t" + threads,
                "-c" + connections,
                "-d" + seconds + "s",
                "--timeout",
                "10s",
                "-s",
                script.toString(),
                url,
                "--",
                keyPrefix,
                token == null ? "-" : token,
                Integer.toString(sessions));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = p.waitFor();
        String line = out.lines()
                .filter(l -> l.startsWith("WRKRESULT"))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("wrk exited " + code + " without a result:\n" + out));
        Map<String, String> kv = new HashMap<>();
        for (String part : line.substring("WRKRESULT".length()).trim().split("\\s+")) {
            int eq = part.indexOf('=');
            kv.put(part.substring(0, eq), part.substring(eq + 1));
        }
        long n = Long.parseLong(kv.get("requests"));
        return new Result(
                n,
                Long.parseLong(kv.get("duration_us")) / 1e6,
                Long.parseLong(kv.get("status")),
                Long.parseLong(kv.get("connect")) + Long.parseLong(kv.get("read")) + Long.parseLong(kv.get("write")),
                Long.parseLong(kv.get("timeout")),
                Long.parseLong(kv.get("p50_us")) / 1e3,
                Long.parseLong(kv.get("p90_us")) / 1e3,
                Long.parseLong(kv.get("p99_us")) / 1e3,
                Long.parseLong(kv.get("max_us")) / 1e3,
                line);
    }
}
