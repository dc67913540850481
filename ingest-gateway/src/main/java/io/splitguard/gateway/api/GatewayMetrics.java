package io.splitguard.gateway.api;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Singleton;

/** Counters of what the mutation endpoint answered, as {@code splitguard_gateway_requests_total{outcome=...}}. */
@Singleton
public class GatewayMetrics {

    private final Counter accepted;
    private final Counter replayed;
    private final Counter conflict;
    private final Counter inFlight;
    private final Counter unavailable;
    private final Counter rejected;

    public GatewayMetrics(MeterRegistry registry) {
        this.accepted = counter(registry, "accepted");
        this.replayed = counter(registry, "replayed");
        this.conflict = counter(registry, "conflict");
        this.inFlight = counter(registry, "in_flight");
        this.unavailable = counter(registry, "unavailable");
        this.rejected = counter(registry, "rejected");
    }

    private static Counter counter(MeterRegistry registry, String outcome) {
        return Counter.builder("splitguard.gateway.requests")
                .description("Answers of the mutation endpoint by outcome")
                .tag("outcome", outcome)
                .register(registry);
    }

    public void accepted() {
        accepted.increment();
    }

    public void replayed() {
        replayed.increment();
    }

    public void conflict() {
        conflict.increment();
    }

    public void inFlight() {
        inFlight.increment();
    }

    public void unavailable() {
        unavailable.increment();
    }

    /** Bad input: size, media type, JSON, schema or key errors. */
    public void rejected() {
        rejected.increment();
    }
}
