package io.splitguard.chaos.check;

import io.splitguard.chaos.faults.FaultKind;
import io.splitguard.chaos.faults.InjectedFault;
import io.splitguard.chaos.workload.HealthWatcher.Sample;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Whether services said on {@code GET /health} that they could not do their job while a dependency was
 * gone: a pure function over the harness's probes ({@link Sample}) and the faults as injected. Two kinds of
 * outage are judged: PostgreSQL stopped ({@code STOP_POSTGRES}; every sink is affected) and a broker cut
 * off the network ({@code ISOLATE_BROKER}; the coordinator inside that broker's namespace is affected, its
 * whole region cut off with it). For each outage and each affected target:
 *
 * <ul>
 *   <li>{@code health_not_unhealthy_when_<outage>}: no 503 within {@code toUnhealthyBoundMs} of the
 *       outage's start, though it lasted at least that long;
 *   <li>{@code health_healthy_while_<outage>}: a 200 after the first 503 and before the outage ended (an
 *       outage forgotten while it lasts);
 *   <li>{@code health_not_healthy_after_<outage>}: no 200 within {@code toHealthyBoundMs} of its end.
 * </ul>
 *
 * A target with no probe, or one that never answered 200 before its first outage (or at all, when it had
 * none), tests nothing: a harness error.
 */
public final class HealthChecker {

    static final String DATABASE = "database_stopped";
    static final String BROKER = "broker_cut";

    public static final List<String> RULES = List.of(
            "health_not_unhealthy_when_" + DATABASE,
            "health_healthy_while_" + DATABASE,
            "health_not_healthy_after_" + DATABASE,
            "health_not_unhealthy_when_" + BROKER,
            "health_healthy_while_" + BROKER,
            "health_not_healthy_after_" + BROKER);

    private HealthChecker() {}

    public record Result(Map<String, Long> counts, Map<String, List<String>> violations, List<String> harnessErrors) {

        public boolean valid() {
            return violations.isEmpty() && harnessErrors.isEmpty();
        }
    }

    /**
     * @param sinks the targets a database stop affects
     * @param coordinators the coordinators, in broker order: an {@code ISOLATE_BROKER} of target {@code t}
     *     affects {@code coordinators.get(t)}
     */
    public static Result check(
            List<String> sinks,
            List<String> coordinators,
            List<Sample> samples,
            List<InjectedFault> faults,
            long toUnhealthyBoundMs,
            long toHealthyBoundMs) {
        Check check = new Check(samples, toUnhealthyBoundMs, toHealthyBoundMs);
        check.outages(DATABASE, sinks, faults, FaultKind.STOP_POSTGRES, f -> sinks);
        check.outages(
                BROKER,
                coordinators,
                faults,
                FaultKind.ISOLATE_BROKER,
                f -> f.fault().target() < coordinators.size()
                        ? List.of(coordinators.get(f.fault().target()))
                        : List.of());
        check.counts.put("health_probes", (long) samples.size());
        for (String rule : RULES) {
            check.counts.put(
                    rule, (long) check.violations.getOrDefault(rule, List.of()).size());
        }
        return new Result(check.counts, check.violations, List.copyOf(check.harnessErrors));
    }

    private static final class Check {
        final List<Sample> samples;
        final long toUnhealthyBoundMs;
        final long toHealthyBoundMs;
        final Map<String, List<String>> violations = new LinkedHashMap<>();
        final Map<String, Long> counts = new TreeMap<>();
        final List<String> harnessErrors = new ArrayList<>();

        Check(List<Sample> samples, long toUnhealthyBoundMs, long toHealthyBoundMs) {
            this.samples = samples;
            this.toUnhealthyBoundMs = toUnhealthyBoundMs;
            this.toHealthyBoundMs = toHealthyBoundMs;
        }

        void outages(
                String outage,
                List<String> targets,
                List<InjectedFault> faults,
                FaultKind kind,
                Function<InjectedFault, List<String>> affected) {
            List<InjectedFault> mine =
                    faults.stream().filter(f -> f.fault().kind() == kind).toList();
            long checked = 0;
            long worstToUnhealthy = 0;
            long worstToHealthy = 0;
            for (String target : targets) {
                List<Sample> probes =
                        samples.stream().filter(s -> target.equals(s.target())).toList();
                if (probes.isEmpty()) {
                    harnessErrors.add("no /health probe of " + target + " was recorded");
                    continue;
                }
                List<InjectedFault> its = mine.stream()
                        .filter(f -> affected.apply(f).contains(target))
                        .toList();
                long first = its.stream()
                        .mapToLong(InjectedFault::injectedAtMs)
                        .min()
                        .orElse(Long.MAX_VALUE);
                if (probes.stream().noneMatch(s -> s.status() == 200 && s.atMs() < first)) {
                    harnessErrors.add(target + " never answered /health 200"
                            + (its.isEmpty() ? "" : " before its first outage") + ": its health proves nothing");
                    continue;
                }
                long lastProbe = probes.get(probes.size() - 1).atMs();
                for (InjectedFault f : its) {
                    checked++;
                    String what = target + ", " + outage.replace('_', ' ') + " at " + f.injectedAtMs() + " for "
                            + (f.healedAtMs() - f.injectedAtMs()) + " ms";
                    Sample unhealthy = probes.stream()
                            .filter(s ->
                                    s.status() == 503 && s.atMs() >= f.injectedAtMs() && s.atMs() <= f.healedAtMs())
                            .findFirst()
                            .orElse(null);
                    if (unhealthy == null || unhealthy.atMs() - f.injectedAtMs() > toUnhealthyBoundMs) {
                        if (f.healedAtMs() - f.injectedAtMs() >= toUnhealthyBoundMs) {
                            add(
                                    "health_not_unhealthy_when_" + outage,
                                    what + ": "
                                            + (unhealthy == null
                                                    ? "no 503 while it lasted"
                                                    : "first 503 after " + (unhealthy.atMs() - f.injectedAtMs())
                                                            + " ms"));
                        }
                    } else {
                        worstToUnhealthy = Math.max(worstToUnhealthy, unhealthy.atMs() - f.injectedAtMs());
                        probes.stream()
                                .filter(s ->
                                        s.status() == 200 && s.atMs() > unhealthy.atMs() && s.atMs() < f.healedAtMs())
                                .findFirst()
                                .ifPresent(s -> add(
                                        "health_healthy_while_" + outage,
                                        what + ": 200 at +" + (s.atMs() - f.injectedAtMs()) + " ms after 503 at +"
                                                + (unhealthy.atMs() - f.injectedAtMs()) + " ms"));
                    }
                    Sample healthy = probes.stream()
                            .filter(s -> s.status() == 200 && s.atMs() >= f.healedAtMs())
                            .findFirst()
                            .orElse(null);
                    if (healthy == null || healthy.atMs() - f.healedAtMs() > toHealthyBoundMs) {
                        if (lastProbe - f.healedAtMs() >= toHealthyBoundMs) {
                            add(
                                    "health_not_healthy_after_" + outage,
                                    what + ": "
                                            + (healthy == null
                                                    ? "no 200 after it ended"
                                                    : "first 200 " + (healthy.atMs() - f.healedAtMs())
                                                            + " ms after it ended"));
                        }
                    } else {
                        worstToHealthy = Math.max(worstToHealthy, healthy.atMs() - f.healedAtMs());
                    }
                }
            }
            counts.put("health_" + outage + "_checked", checked);
            counts.put("health_" + outage + "_worst_ms_to_unhealthy", worstToUnhealthy);
            counts.put("health_" + outage + "_worst_ms_to_healthy", worstToHealthy);
        }

        void add(String rule, String example) {
            violations.computeIfAbsent(rule, k -> new ArrayList<>()).add(example);
        }
    }

    /** The run's result with the health result folded in (counts added, violations and harness errors appended). */
    public static CheckResult merge(CheckResult base, Result health) {
        return base.fold(
                health.valid(), health.counts(), Map.of(), health.violations(), Map.of(), health.harnessErrors());
    }
}
