package io.splitguard.chaos.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A reproducible fault schedule: the same seed and profile give the same faults at the same offsets.
 * Faults never overlap: each is healed before the next one starts, so every recovery can be timed.
 */
public final class FaultSchedule {

    /**
     * The wall-clock offsets a {@link FaultKind#GATEWAY_CLOCK_SKEW} fault draws from: minutes to days, in
     * both directions. The workload's tokens are valid over a wider range ({@link #MAX_CLOCK_OFFSET} plus
     * a day each way), so a skewed gateway still accepts them.
     */
    public static final List<Duration> CLOCK_OFFSETS = List.of(
            Duration.ofDays(-2),
            Duration.ofHours(-37),
            Duration.ofHours(-3),
            Duration.ofMinutes(-10),
            Duration.ofMinutes(10),
            Duration.ofHours(3),
            Duration.ofHours(25),
            Duration.ofDays(2));

    /** The largest offset (either way) in {@link #CLOCK_OFFSETS}. */
    public static final Duration MAX_CLOCK_OFFSET = Duration.ofDays(2);

    private FaultSchedule() {}

    /**
     * @param kinds the kinds to draw from, in round-robin order first (so a short run covers each
     *     once), then at random
     * @param phase how long faults are injected
     * @param minGap shortest pause between one fault's healing and the next fault
     * @param maxGap longest such pause
     * @param scale multiplies every fault's nominal duration (short profile &lt; 1)
     */
    public static List<Fault> generate(
            long seed,
            List<FaultKind> kinds,
            Duration phase,
            Duration minGap,
            Duration maxGap,
            double scale,
            int instances,
            int brokers) {
        Random random = new Random(seed);
        List<Fault> faults = new ArrayList<>();
        long t = minGap.toMillis();
        int n = 0;
        while (true) {
            FaultKind kind = n < kinds.size() ? kinds.get(n) : kinds.get(random.nextInt(kinds.size()));
            Duration duration = Duration.ofMillis((long) (nominal(kind, random).toMillis() * scale));
            if (t + duration.toMillis() > phase.toMillis()) {
                break;
            }
            int target = isBrokerFault(kind) ? random.nextInt(brokers) : random.nextInt(instances);
            // drawn only for this kind, so schedules without it stay what they were
            Duration offset = kind == FaultKind.GATEWAY_CLOCK_SKEW
                    ? CLOCK_OFFSETS.get(random.nextInt(CLOCK_OFFSETS.size()))
                    : Duration.ZERO;
            faults.add(new Fault(Duration.ofMillis(t), kind, target, duration, offset));
            t += duration.toMillis()
                    + minGap.toMillis()
                    + (long) (random.nextDouble() * (maxGap.toMillis() - minGap.toMillis()));
            n++;
        }
        return faults;
    }

    public static boolean isBrokerFault(FaultKind kind) {
        return kind == FaultKind.KILL_BROKER || kind == FaultKind.PAUSE_BROKER || kind == FaultKind.ISOLATE_BROKER;
    }

    /** Durations as the fault catalog prescribes them at full scale. */
    static Duration nominal(FaultKind kind, Random random) {
        return switch (kind) {
            case KILL_TOPOLOGY, KILL_SINK_AFTER_COMMIT, KILL_GATEWAY, WIPE_TOPOLOGY_STATE -> Duration.ofSeconds(5);
            case PAUSE_TOPOLOGY -> Duration.ofSeconds(30);
            case KILL_BROKER -> Duration.ofSeconds(10 + random.nextInt(10));
            case PAUSE_BROKER -> Duration.ofSeconds(10 + random.nextInt(21));
            case ISOLATE_BROKER, STOP_POSTGRES -> Duration.ofSeconds(60);
                // how long the skewed gateway serves (counted once it answers), and how long the disk stays full
            case GATEWAY_CLOCK_SKEW -> Duration.ofSeconds(40);
            case TOPOLOGY_STATE_DIR_FULL -> Duration.ofSeconds(30);
        };
    }
}
