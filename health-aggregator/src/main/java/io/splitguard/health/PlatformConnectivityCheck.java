package io.splitguard.health;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code platform_connectivity}: whether each configured contact-center platform (Genesys Cloud, NICE
 * CXone, ...) answers, and how fast. Every platform is probed in parallel with one {@code GET} of its
 * probe URL through a circuit breaker of its own ({@code platform-<name>}); any HTTP answer below 500
 * counts as reachable (an API root answers 401 without credentials), a 5xx, a timeout or a refused
 * connection as a failure. Details: {@code <name>_latency_ms} per reachable platform (the guide's
 * {@code genesys_cloud_latency_ms}) and {@code platforms.<name>} with status, HTTP status and breaker.
 */
public final class PlatformConnectivityCheck implements ComponentCheck {

    private final Map<String, URI> probes;
    private final Map<String, CircuitBreaker> breakers;
    private final HttpClient client;
    private final Duration probeTimeout;

    public PlatformConnectivityCheck(
            Map<String, URI> probes, Map<String, CircuitBreaker> breakers, HttpClient client, Duration probeTimeout) {
        this.probes = new LinkedHashMap<>(Objects.requireNonNull(probes, "probes"));
        this.breakers = Map.copyOf(breakers);
        this.client = Objects.requireNonNull(client, "client");
        this.probeTimeout = Objects.requireNonNull(probeTimeout, "probeTimeout");
        for (String name : probes.keySet()) {
            if (!breakers.containsKey(name)) {
                throw new IllegalArgumentException("no breaker for platform " + name);
            }
        }
    }

    /**
     * The check for {@code settings}' probes, each probe bounded by the check timeout, with a breaker
     * per platform; empty when no probe is configured.
     */
    public static java.util.Optional<PlatformConnectivityCheck> create(
            HealthSettings settings, MeterRegistry registry) {
        if (settings.platformProbes().isEmpty()) {
            return java.util.Optional.empty();
        }
        Map<String, CircuitBreaker> breakers = new LinkedHashMap<>();
        settings.platformProbes()
                .keySet()
                .forEach(name ->
                        breakers.put(name, Breakers.create("platform-" + name, settings.breakerOpenWait(), registry)));
        HttpClient client = HttpClient.newBuilder()
                .connectTimeout(settings.timeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        return java.util.Optional.of(
                new PlatformConnectivityCheck(settings.platformProbes(), breakers, client, settings.timeout()));
    }

    public CircuitBreaker breaker(String platform) {
        return breakers.get(platform);
    }

    private record Probe(boolean reachable, long latencyMs, Integer httpStatus, String error) {}

    @Override
    public ComponentHealth check() throws InterruptedException {
        Map<String, CompletableFuture<Probe>> running = new LinkedHashMap<>();
        probes.forEach((name, uri) -> running.put(name, probe(breakers.get(name), uri)));
        Map<String, Object> details = new LinkedHashMap<>();
        Map<String, Object> platforms = new LinkedHashMap<>();
        boolean all = true;
        for (Map.Entry<String, CompletableFuture<Probe>> e : running.entrySet()) {
            Probe p;
            try {
                p = e.getValue().get();
            } catch (java.util.concurrent.ExecutionException ex) {
                p = new Probe(false, -1, null, CompositeHealth.describe(ex));
            }
            String name = e.getKey();
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("status", p.reachable ? "healthy" : "unhealthy");
            if (p.latencyMs >= 0) {
                one.put("latency_ms", p.latencyMs);
            }
            if (p.httpStatus != null) {
                one.put("http_status", p.httpStatus);
            }
            if (p.error != null) {
                one.put("error", p.error);
            }
            one.put("circuit_breaker", Breakers.describe(breakers.get(name)));
            platforms.put(name, one);
            if (p.reachable) {
                details.put(name + "_latency_ms", p.latencyMs);
            }
            all &= p.reachable;
        }
        details.put("platforms", platforms);
        return all ? ComponentHealth.healthy(details) : ComponentHealth.unhealthy(details);
    }

    private CompletableFuture<Probe> probe(CircuitBreaker breaker, URI uri) {
        if (!breaker.tryAcquirePermission()) {
            return CompletableFuture.completedFuture(
                    new Probe(false, -1, null, "circuit breaker open: not probed until the wait is over"));
        }
        long start = System.nanoTime();
        HttpRequest request =
                HttpRequest.newBuilder(uri).timeout(probeTimeout).GET().build();
        return client.sendAsync(request, HttpResponse.BodyHandlers.discarding()).handle((response, error) -> {
            long nanos = System.nanoTime() - start;
            long ms = TimeUnit.NANOSECONDS.toMillis(nanos);
            if (error != null) {
                breaker.onError(nanos, TimeUnit.NANOSECONDS, error);
                return new Probe(false, ms, null, CompositeHealth.describe(error));
            }
            if (response.statusCode() >= 500) {
                breaker.onError(
                        nanos, TimeUnit.NANOSECONDS, new IllegalStateException("HTTP " + response.statusCode()));
                return new Probe(false, ms, response.statusCode(), "HTTP " + response.statusCode());
            }
            breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
            return new Probe(true, ms, response.statusCode(), null);
        });
    }
}
