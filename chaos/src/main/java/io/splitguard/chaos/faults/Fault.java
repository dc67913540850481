package io.splitguard.chaos.faults;

import java.time.Duration;

/**
 * One scheduled fault.
 *
 * @param at offset from the start of the fault phase
 * @param target index of the instance or broker it hits (0-based)
 * @param duration how long the fault lasts before it is healed
 */
public record Fault(Duration at, FaultKind kind, int target, Duration duration) {

    @Override
    public String toString() {
        return "+" + at.toSeconds() + "s " + kind + "[" + target + "] for " + duration.toSeconds() + "s";
    }
}
