package io.splitguard.chaos;

import io.splitguard.chaos.faults.FaultKind;
import java.time.Duration;
import java.util.List;

/**
 * How hard and how long a chaos run pushes.
 *
 * @param warmUp load without faults before the first one, so faults hit a steady state
 * @param faultPhase how long load and faults run after the warm-up
 * @param minGap shortest quiet time between two faults
 * @param maxGap longest quiet time between two faults
 * @param faultScale multiplies the catalog's fault durations
 * @param eventsPerSecond new updates per second (each delivered by two regions)
 * @param sessions distinct sessions the updates spread over
 * @param minAcknowledgedShare share of written keys that must be acknowledged, or the run proves too
 *     little and counts as a harness error
 * @param gatewayCacheMaxEntries the gateways' {@code splitguard.gateway.cache-max-entries} (answers kept
 *     in memory); {@link #PRODUCT_DEFAULT} leaves the product's default
 */
public record Profile(
        String name,
        Duration warmUp,
        Duration faultPhase,
        Duration minGap,
        Duration maxGap,
        double faultScale,
        double eventsPerSecond,
        int sessions,
        List<FaultKind> kinds,
        double minAcknowledgedShare,
        long gatewayCacheMaxEntries) {

    /** For {@link #gatewayCacheMaxEntries}: do not set it, the gateway keeps its default. */
    public static final long PRODUCT_DEFAULT = -1;

    /**
     * The long profile's gateway answer cache: far fewer entries than the keys a long run writes
     * (about 30,000 at 60 updates/s for 8.5 min), so answers are evicted throughout the run, and late
     * replays (3 to 18 s after the first delivery) often find theirs gone.
     */
    public static final long LONG_GATEWAY_CACHE_MAX_ENTRIES = 1_000;

    public Profile {
        kinds = List.copyOf(kinds);
        if (kinds.isEmpty()) {
            throw new IllegalArgumentException("a profile needs at least one fault kind");
        }
    }

    /** A few faults of the kinds that matter most, sized to run in CI (about four minutes in all). */
    public static Profile quick() {
        return new Profile(
                "short",
                Duration.ofSeconds(15),
                Duration.ofSeconds(110),
                Duration.ofSeconds(6),
                Duration.ofSeconds(10),
                0.3,
                40,
                60,
                List.of(
                        FaultKind.KILL_TOPOLOGY,
                        FaultKind.KILL_SINK_AFTER_COMMIT,
                        FaultKind.KILL_BROKER,
                        FaultKind.PAUSE_TOPOLOGY,
                        FaultKind.STOP_POSTGRES),
                0.9,
                PRODUCT_DEFAULT);
    }

    /**
     * Every fault kind at full duration, one every 5 to 15 s, for eight minutes, with a gateway answer
     * cache small enough to evict during the run.
     */
    public static Profile full() {
        return new Profile(
                "long",
                Duration.ofSeconds(30),
                // long enough that the round-robin start reaches every kind, whatever the seed
                Duration.ofMinutes(8),
                Duration.ofSeconds(5),
                Duration.ofSeconds(15),
                1.0,
                60,
                200,
                List.of(FaultKind.values()),
                0.95,
                LONG_GATEWAY_CACHE_MAX_ENTRIES);
    }

    /** The same profile drawing its faults from {@code only} (e.g. to exercise a few kinds at a time). */
    public Profile withKinds(List<FaultKind> only) {
        return new Profile(
                name,
                warmUp,
                faultPhase,
                minGap,
                maxGap,
                faultScale,
                eventsPerSecond,
                sessions,
                only,
                minAcknowledgedShare,
                gatewayCacheMaxEntries);
    }

    /** Parses {@code --kinds}: fault kind names separated by commas, e.g. {@code GATEWAY_CLOCK_SKEW,KILL_BROKER}. */
    public static List<FaultKind> parseKinds(String names) {
        List<FaultKind> kinds = new java.util.ArrayList<>();
        for (String name : names.split(",")) {
            String n = name.trim();
            if (n.isEmpty()) {
                continue;
            }
            try {
                kinds.add(FaultKind.valueOf(n.toUpperCase(java.util.Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "unknown fault kind " + n + " (known: " + List.of(FaultKind.values()) + ")", e);
            }
        }
        if (kinds.isEmpty()) {
            throw new IllegalArgumentException("--kinds names no fault kind");
        }
        return List.copyOf(new java.util.LinkedHashSet<>(kinds));
    }

    public boolean uses(FaultKind kind) {
        return kinds.contains(kind);
    }

    public static Profile named(String name) {
        return switch (name) {
            case "short" -> quick();
            case "long" -> full();
            default -> throw new IllegalArgumentException("unknown profile " + name + " (short, long)");
        };
    }
}
