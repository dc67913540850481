package io.splitguard.health;

/**
 * Checks one component of the composite {@code /health}. It runs on the health scheduler's own
 * threads, on its own interval and under a timeout, never on a request: it may block on the
 * dependency it checks (a query, an admin call, an HTTP probe). Throwing counts as unhealthy, with
 * the exception as the reason.
 */
@FunctionalInterface
public interface ComponentCheck {

    ComponentHealth check() throws Exception;
}
