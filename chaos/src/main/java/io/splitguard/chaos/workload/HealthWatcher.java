package io.splitguard.chaos.workload;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Asks each target's {@code GET /health} on a fixed period for the whole run and records every answer's
 * status (0: no answer within a second), as a load balancer's probe would see the service. A target
 * inside a network namespace is asked from inside it (its {@code ip netns exec} prefix, a plain HTTP/1.0
 * request over bash's {@code /dev/tcp}), so that cutting the namespace off does not cut the probe off.
 */
public final class HealthWatcher implements AutoCloseable {

    /** One probe: which target, when it was sent (epoch ms), the HTTP status or 0. */
    public record Sample(String target, long atMs, int status) {}

    /** A service's {@code /health} URL, and the command prefix that enters its namespace (empty: none). */
    public record Target(String url, List<String> prefix) {

        public Target {
            prefix = List.copyOf(prefix);
        }
    }

    private static final java.util.regex.Pattern STATUS_LINE =
            java.util.regex.Pattern.compile("^HTTP/\\d(?:\\.\\d)? (\\d{3})");

    private final Map<String, Target> targets;
    private final Duration every;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private final List<Sample> samples = new ArrayList<>();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "health-watcher");
        t.setDaemon(true);
        return t;
    });

    /** @param targets name → the service's {@code /health} and how to reach it */
    public HealthWatcher(Map<String, Target> targets, Duration every) {
        this.targets = new LinkedHashMap<>(targets);
        this.every = every;
    }

    public void start() {
        scheduler.scheduleWithFixedDelay(this::probeAll, 0, every.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void probeAll() {
        targets.forEach((name, target) -> {
            long at = System.currentTimeMillis();
            int status = 0;
            try {
                status = target.prefix().isEmpty() ? viaHttp(target.url()) : viaPrefix(target);
            } catch (IOException e) {
                // no answer: recorded as 0
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            synchronized (samples) {
                samples.add(new Sample(name, at, status));
            }
        });
    }

    private int viaHttp(String url) throws IOException, InterruptedException {
        return http.send(
                        HttpRequest.newBuilder(URI.create(url))
                                .timeout(Duration.ofSeconds(1))
                                .build(),
                        HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    /** The status line's code of {@code GET /health} asked from inside the target's namespace; 0 if none. */
    private static int viaPrefix(Target target) throws IOException, InterruptedException {
        URI url = URI.create(target.url());
        List<String> command = new ArrayList<>(target.prefix());
        command.addAll(List.of(
                "timeout",
                "1",
                "bash",
                "-c",
                "exec 3<>/dev/tcp/" + url.getHost() + "/" + url.getPort() + " && printf 'GET " + url.getPath()
                        + " HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3"));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (!p.waitFor(3, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return 0;
        }
        java.util.regex.Matcher m = STATUS_LINE.matcher(out.strip());
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    /** Every probe so far, in the order they were sent. */
    public List<Sample> samples() {
        synchronized (samples) {
            return List.copyOf(samples);
        }
    }

    /** Stops probing; the samples stay. */
    public void stop() {
        scheduler.shutdownNow();
    }

    @Override
    public void close() {
        stop();
    }
}
