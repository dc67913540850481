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
        double minAcknowledgedShare) {

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
                0.9);
    }

    /** Every fault kind at full duration, one every 5 to 15 s, for five minutes. */
    public static Profile full() {
        return new Profile(
                "long",
                Duration.ofSeconds(30),
                Duration.ofMinutes(5),
                Duration.ofSeconds(5),
                Duration.ofSeconds(15),
                1.0,
                60,
                200,
                List.of(FaultKind.values()),
                0.95);
    }

    public static Profile named(String name) {
        return switch (name) {
            case "short" -> quick();
            case "long" -> full();
            default -> throw new IllegalArgumentException("unknown profile " + name + " (short, long)");
        };
    }
}
