package io.splitguard.gateway.idempotency;

import com.google.common.hash.BloomFilter;
import com.google.common.hash.Funnels;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * A compact membership filter of the scoped keys seen within the dedup window (every key this
 * instance claimed and every outcome of the cluster). "No" is certain, "maybe" is not: a maybe only
 * makes the gateway ask the topology for its verdict before answering, so a false positive costs a
 * wait, never a wrong answer.
 *
 * <p>Two generations of Bloom filters, each started when the one before it had covered a whole window:
 * a key is remembered for at least one window and at most two. About 1.2 bytes per key and generation
 * at the configured false-positive rate of 1 %; more keys than expected only raise that rate.
 */
final class KeyFilter {

    private final Clock clock;
    private final Duration window;
    private final long expectedKeys;
    private final double falsePositiveRate;
    private volatile Generations generations;

    private record Generations(
            BloomFilter<CharSequence> current, BloomFilter<CharSequence> previous, Instant rotateAt) {}

    KeyFilter(Clock clock, Duration window, long expectedKeys, double falsePositiveRate) {
        this.clock = clock;
        this.window = window;
        this.expectedKeys = Math.max(1_000, expectedKeys);
        this.falsePositiveRate = falsePositiveRate;
        this.generations = new Generations(create(), create(), clock.instant().plus(window));
    }

    private BloomFilter<CharSequence> create() {
        return BloomFilter.create(Funnels.stringFunnel(StandardCharsets.UTF_8), expectedKeys, falsePositiveRate);
    }

    void put(String scopedKey) {
        current().current().put(scopedKey);
    }

    boolean mightContain(String scopedKey) {
        Generations g = current();
        return g.current().mightContain(scopedKey) || g.previous().mightContain(scopedKey);
    }

    /** Approximate keys in both generations. */
    long approximateKeys() {
        Generations g = current();
        return g.current().approximateElementCount() + g.previous().approximateElementCount();
    }

    private Generations current() {
        Generations g = generations;
        Instant now = clock.instant();
        if (now.isBefore(g.rotateAt())) {
            return g;
        }
        synchronized (this) {
            g = generations;
            if (!now.isBefore(g.rotateAt())) {
                // keys of the retiring generation are all older than one window: they may go
                g = new Generations(create(), g.current(), now.plus(window));
                generations = g;
            }
            return g;
        }
    }
}
