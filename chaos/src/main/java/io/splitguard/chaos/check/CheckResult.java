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

    /** Examples kept per violated rule or observation when results are folded together. */
    public static final int EXAMPLES = 10;

    /**
     * This result with a part's result folded in: counts and operations added, violations and observations
     * appended (the first {@value #EXAMPLES} examples each), harness errors appended; valid only if both are.
     *
     * @param partValid whether the part found no violation and no harness error
     */
    public CheckResult fold(
            boolean partValid,
            Map<String, Long> partCounts,
            Map<String, Map<String, Long>> partOperations,
            Map<String, List<String>> partViolations,
            Map<String, List<String>> partObservations,
            List<String> partHarnessErrors) {
        Map<String, Long> allCounts = new java.util.TreeMap<>(counts);
        allCounts.putAll(partCounts);
        Map<String, Map<String, Long>> allOperations = new java.util.LinkedHashMap<>(operations);
        allOperations.putAll(partOperations);
        Map<String, List<String>> allExamples = new java.util.LinkedHashMap<>(examples);
        partViolations.forEach((rule, list) -> allExamples.put(rule, first(list)));
        Map<String, List<String>> allObservations = new java.util.LinkedHashMap<>(observations);
        partObservations.forEach((name, list) -> allObservations.put(name, first(list)));
        List<String> allHarnessErrors = new java.util.ArrayList<>(harnessErrors);
        allHarnessErrors.addAll(partHarnessErrors);
        return new CheckResult(
                valid && partValid,
                List.copyOf(allHarnessErrors),
                allCounts,
                allOperations,
                allExamples,
                allObservations);
    }

    private static List<String> first(List<String> list) {
        return List.copyOf(list.subList(0, Math.min(EXAMPLES, list.size())));
    }
}
