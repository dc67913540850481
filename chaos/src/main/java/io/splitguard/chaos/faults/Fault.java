package io.splitguard.chaos.faults;

import java.time.Duration;
import java.util.Objects;

/**
 * One scheduled fault.
 *
 * @param at offset from the start of the fault phase
 * @param target index of the instance or broker it hits (0-based)
 * @param duration how long the fault lasts before it is healed
 * @param clockOffset for {@link FaultKind#GATEWAY_CLOCK_SKEW}: how far the gateway's wall clock is moved
 *     (negative: into the past); zero for every other kind
 */
public record Fault(Duration at, FaultKind kind, int target, Duration duration, Duration clockOffset) {

    public Fault {
        Objects.requireNonNull(clockOffset, "clockOffset");
        if (kind != FaultKind.GATEWAY_CLOCK_SKEW && !clockOffset.isZero()) {
            throw new IllegalArgumentException("only " + FaultKind.GATEWAY_CLOCK_SKEW + " has a clock offset");
        }
    }

    public Fault(Duration at, FaultKind kind, int target, Duration duration) {
        this(at, kind, target, duration, Duration.ZERO);
    }

    @Override
    public String toString() {
        return "+" + at.toSeconds() + "s " + kind + "[" + target + "]"
                + (clockOffset.isZero() ? "" : " clock " + offset(clockOffset)) + " for " + duration.toSeconds() + "s";
    }

    /** An offset as people write it: {@code +25h}, {@code -10m}, {@code -1d13h}. */
    public static String offset(Duration d) {
        Duration abs = d.abs();
        StringBuilder s = new StringBuilder(d.isNegative() ? "-" : "+");
        if (abs.toDays() > 0) {
            s.append(abs.toDays()).append('d');
        }
        if (abs.toHoursPart() > 0) {
            s.append(abs.toHoursPart()).append('h');
        }
        if (abs.toMinutesPart() > 0) {
            s.append(abs.toMinutesPart()).append('m');
        }
        if (abs.toSecondsPart() > 0 || abs.isZero()) {
            s.append(abs.toSecondsPart()).append('s');
        }
        return s.toString();
    }
}
