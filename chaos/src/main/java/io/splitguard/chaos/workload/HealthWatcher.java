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
 * status (0: no answer within a second), as a load balancer's probe would see the service.
 */
public final class HealthWatcher implements AutoCloseable {

    /** One probe: which target, when it was sent (epoch ms), the HTTP status or 0. */
    public record Sample(String target, long atMs, int status) {}

    private final Map<String, URI> targets;
    private final Duration every;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private final List<Sample> samples = new ArrayList<>();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "health-watcher");
        t.setDaemon(true);
        return t;
    });

    /** @param targets name → the service's {@code /health} URL */
    public HealthWatcher(Map<String, String> targets, Duration every) {
        this.targets = new LinkedHashMap<>();
        targets.forEach((name, url) -> this.targets.put(name, URI.create(url)));
        this.every = every;
    }

    public void start() {
        scheduler.scheduleWithFixedDelay(this::probeAll, 0, every.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void probeAll() {
        targets.forEach((name, url) -> {
            long at = System.currentTimeMillis();
            int status = 0;
            try {
                status = http.send(
                                HttpRequest.newBuilder(url)
                                        .timeout(Duration.ofSeconds(1))
                                        .build(),
                                HttpResponse.BodyHandlers.discarding())
                        .statusCode();
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
