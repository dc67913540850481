package io.splitguard.chaos.check;

import java.util.List;
import java.util.Map;

/**
 * @param valid true when no invariant was violated
 * @param counts every figure the checker computed, violations included (zero when none)
 * @param examples up to ten examples per violated rule
 */
public record CheckResult(boolean valid, Map<String, Long> counts, Map<String, List<String>> examples) {}
