package io.splitguard.chaos.check;

import io.splitguard.chaos.faults.FaultKind;
import io.splitguard.chaos.faults.InjectedFault;
import io.splitguard.chaos.workload.HealthWatcher.Sample;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Whether the services whose job needs PostgreSQL said so on {@code GET /health} while it was stopped:
 * a pure function over the harness's probes ({@link Sample}) and the faults as injected.
 *
 * <ul>
 *   <li>{@code health_not_unhealthy_when_database_stopped}: a target never answered 503 within {@code
 *       toUnhealthyBoundMs} of a database stop that lasted at least that long;
 *   <li>{@code health_healthy_while_database_stopped}: a target answered 200 after it had answered 503 for
 *       that stop and before the database came back (a composite that forgets an outage);
 *   <li>{@code health_not_healthy_after_database_back}: a target did not answer 200 within {@code
 *       toHealthyBoundMs} of the database's return (it stays out of rotation for good).
 * </ul>
 *
 * A target with no probe, or that never answered 200 before the first stop, tests nothing: a harness
 * error. A run without a database stop checks nothing and says so in its counts.
 */
public final class HealthChecker {

    public static final List<String> RULES = List.of(
            "health_not_unhealthy_when_database_stopped",
            "health_healthy_while_database_stopped",
            "health_not_healthy_after_database_back");

    private HealthChecker() {}

    public record Result(Map<String, Long> counts, Map<String, List<String>> violations, List<String> harnessErrors) {

        public boolean valid() {
            return violations.isEmpty() && harnessErrors.isEmpty();
        }
    }

    public static Result check(
            List<String> targets,
            List<Sample> samples,
            List<InjectedFault> faults,
            long toUnhealthyBoundMs,
            long toHealthyBoundMs) {
        Map<String, List<String>> violations = new LinkedHashMap<>();
        Map<String, Long> counts = new TreeMap<>();
        List<String> harnessErrors = new ArrayList<>();
        List<InjectedFault> stops = faults.stream()
                .filter(f -> f.fault().kind() == FaultKind.STOP_POSTGRES)
                .toList();
        long firstStop =
                stops.stream().mapToLong(InjectedFault::injectedAtMs).min().orElse(Long.MAX_VALUE);
        long worstToUnhealthy = 0;
        long worstToHealthy = 0;
        for (String target : targets) {
            List<Sample> mine =
                    samples.stream().filter(s -> target.equals(s.target())).toList();
            if (mine.isEmpty()) {
                harnessErrors.add("no /health probe of " + target + " was recorded");
                continue;
            }
            if (mine.stream().noneMatch(s -> s.status() == 200 && s.atMs() < firstStop)) {
                harnessErrors.add(target + " never answered /health 200 before the first database stop: its"
                        + " health proves nothing");
                continue;
            }
            for (InjectedFault stop : stops) {
                String what = target + ", database stopped at " + stop.injectedAtMs() + " for "
                        + (stop.healedAtMs() - stop.injectedAtMs()) + " ms";
                Sample unhealthy = mine.stream()
                        .filter(s ->
                                s.status() == 503 && s.atMs() >= stop.injectedAtMs() && s.atMs() <= stop.healedAtMs())
                        .findFirst()
                        .orElse(null);
                if (unhealthy == null || unhealthy.atMs() - stop.injectedAtMs() > toUnhealthyBoundMs) {
                    if (stop.healedAtMs() - stop.injectedAtMs() >= toUnhealthyBoundMs) {
                        add(
                                violations,
                                "health_not_unhealthy_when_database_stopped",
                                what + ": "
                                        + (unhealthy == null
                                                ? "no 503 while it was down"
                                                : "first 503 after " + (unhealthy.atMs() - stop.injectedAtMs())
                                                        + " ms"));
                    }
                } else {
                    worstToUnhealthy = Math.max(worstToUnhealthy, unhealthy.atMs() - stop.injectedAtMs());
                    mine.stream()
                            .filter(s ->
                                    s.status() == 200 && s.atMs() > unhealthy.atMs() && s.atMs() < stop.healedAtMs())
                            .findFirst()
                            .ifPresent(s -> add(
                                    violations,
                                    "health_healthy_while_database_stopped",
                                    what + ": 200 at +" + (s.atMs() - stop.injectedAtMs()) + " ms after 503 at +"
                                            + (unhealthy.atMs() - stop.injectedAtMs()) + " ms"));
                }
                Sample healthy = mine.stream()
                        .filter(s -> s.status() == 200 && s.atMs() >= stop.healedAtMs())
                        .findFirst()
                        .orElse(null);
                long lastProbe = mine.get(mine.size() - 1).atMs();
                if (healthy == null || healthy.atMs() - stop.healedAtMs() > toHealthyBoundMs) {
                    if (lastProbe - stop.healedAtMs() >= toHealthyBoundMs) {
                        add(
                                violations,
                                "health_not_healthy_after_database_back",
                                what + ": "
                                        + (healthy == null
                                                ? "no 200 after it came back"
                                                : "first 200 " + (healthy.atMs() - stop.healedAtMs()) + " ms after"));
                    }
                } else {
                    worstToHealthy = Math.max(worstToHealthy, healthy.atMs() - stop.healedAtMs());
                }
            }
        }
        counts.put("health_probes", (long) samples.size());
        counts.put("health_database_stops_checked", (long) stops.size() * targets.size());
        counts.put("health_worst_ms_to_unhealthy", worstToUnhealthy);
        counts.put("health_worst_ms_to_healthy", worstToHealthy);
        for (String rule : RULES) {
            counts.put(rule, (long) violations.getOrDefault(rule, List.of()).size());
        }
        return new Result(counts, violations, List.copyOf(harnessErrors));
    }

    private static void add(Map<String, List<String>> violations, String rule, String example) {
        violations.computeIfAbsent(rule, k -> new ArrayList<>()).add(example);
    }

    /** The run's result with the health result folded in (counts added, violations and harness errors appended). */
    public static CheckResult merge(CheckResult base, Result health) {
        return base.fold(
                health.valid(), health.counts(), Map.of(), health.violations(), Map.of(), health.harnessErrors());
    }
}
