package io.splitguard.health;

/** Evaluates one part of a service. Must be cheap and must not block: it runs on a request. */
@FunctionalInterface
public interface HealthCheck {

    Health check();
}
