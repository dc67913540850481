package io.splitguard.sink.consumer;

import java.time.Duration;
import java.util.Objects;
import java.util.function.DoubleSupplier;

/**
 * Exponential backoff with jitter between retries of a failed batch or poll: the ceiling doubles
 * from {@code min} up to {@code max} with each failure, and the wait is drawn uniformly from the
 * upper half of the ceiling, so sink instances that failed together (a database restart) do not
 * retry in lock-step. {@link #reset()} after a success. Not thread-safe: owned by the poll thread.
 */
public final class Backoff {

    private final Duration min;
    private final Duration max;
    private final DoubleSupplier random;
    private Duration ceiling;

    public Backoff(Duration min, Duration max) {
        this(min, max, Math::random);
    }

    /** @param random values in [0, 1) */
    Backoff(Duration min, Duration max, DoubleSupplier random) {
        if (min.isNegative() || min.isZero() || max.compareTo(min) < 0) {
            throw new IllegalArgumentException("need 0 < min <= max, got " + min + " and " + max);
        }
        this.min = min;
        this.max = max;
        this.random = Objects.requireNonNull(random, "random");
        this.ceiling = min;
    }

    /** The wait before the next attempt; raises the ceiling for the one after. */
    public Duration next() {
        long ceilingMillis = ceiling.toMillis();
        long half = ceilingMillis / 2;
        long wait = half + (long) (random.getAsDouble() * (ceilingMillis - half + 1));
        Duration doubled = ceiling.multipliedBy(2);
        ceiling = doubled.compareTo(max) > 0 ? max : doubled;
        return Duration.ofMillis(Math.min(wait, ceilingMillis));
    }

    /** Back to the shortest wait, after an attempt succeeded. */
    public void reset() {
        ceiling = min;
    }

    /** The highest wait the next {@link #next()} can return. */
    public Duration ceiling() {
        return ceiling;
    }
}
