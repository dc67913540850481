package io.splitguard.chaos.check;

import java.util.List;
import java.util.Map;

/**
 * @param valid true only when no invariant was violated and the run was a real test (no harness error)
 * @param harnessErrors reasons the run proves nothing (nothing or too little acknowledged, a drain or
 *     pending timeout); a run with any of these is not a pass
 * @param counts every figure the checker computed, one per rule among them (zero when none)
 * @param operations operations by kind, then by result ({@code ok}, {@code fail}, {@code info})
 * @param examples up to ten examples per violated rule
 * @param observations up to ten examples per figure that is worth reading but violates no rule
 */
public record CheckResult(
        boolean valid,
        List<String> harnessErrors,
        Map<String, Long> counts,
        Map<String, Map<String, Long>> operations,
        Map<String, List<String>> examples,
        Map<String, List<String>> observations) {

    public static final String VALID = "VALID";
    public static final String INVALID = "INVALID";
    public static final String HARNESS_ERROR = "HARNESS ERROR";

    /** {@value #VALID}, {@value #HARNESS_ERROR} (the run cannot be trusted either way) or {@value #INVALID}. */
    public String verdict() {
        if (!harnessErrors.isEmpty()) {
            return HARNESS_ERROR;
        }
        return examples.isEmpty() ? VALID : INVALID;
    }
}
