package io.splitguard.chaos.check;

import io.splitguard.chaos.workload.Op;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Checks the invariants against the history and what the system holds:
 *
 * <ul>
 *   <li>every acknowledged key is in PostgreSQL exactly once (lost = 0, duplicates = 0);
 *   <li>nothing is present that was never sent (phantoms = 0), and every row carries a body that was
 *       sent under its key;
 *   <li>keys with only indeterminate answers appear at most once;
 *   <li>each session's applied sequences are 1..n without gaps or repeats, on the topic and in the database;
 *   <li>the database holds exactly what committed transactions wrote to the mutations topic (no
 *       record of an aborted transaction reached it, and the sink missed nothing).
 * </ul>
 */
public final class Checker {

    private static final int EXAMPLES = 10;

    private Checker() {}

    public static CheckResult check(List<Op> history, Observed observed) {
        Map<String, Set<String>> sentHashes = new HashMap<>();
        Set<String> acknowledged = new HashSet<>();
        Map<String, String> sessionOf = new HashMap<>();
        for (Op op : history) {
            sentHashes.computeIfAbsent(op.key(), k -> new HashSet<>()).add(op.payloadHash());
            sessionOf.put(op.key(), op.session());
            if (op.ok()) {
                acknowledged.add(op.key());
            }
        }
        Map<String, List<Observed.Row>> rowsByKey =
                observed.rows().stream().collect(Collectors.groupingBy(Observed.Row::key));
        Map<String, List<Observed.Applied>> appliedByKey =
                observed.committed().stream().collect(Collectors.groupingBy(Observed.Applied::key));

        Map<String, List<String>> violations = new LinkedHashMap<>();
        for (String key : acknowledged) {
            if (!rowsByKey.containsKey(key)) {
                add(violations, "lost", key);
            }
        }
        rowsByKey.forEach((key, rows) -> {
            if (rows.size() > 1) {
                add(violations, "duplicate_rows", key + " x" + rows.size());
            }
            if (!sentHashes.containsKey(key)) {
                add(violations, "phantom_rows", key);
            } else {
                for (Observed.Row row : rows) {
                    if (!sentHashes.get(key).contains(row.payloadHash())) {
                        add(violations, "row_with_unsent_body", key);
                    }
                    if (!row.session().equals(sessionOf.get(key))) {
                        add(violations, "row_in_wrong_session", key);
                    }
                }
            }
        });
        appliedByKey.forEach((key, applied) -> {
            if (applied.size() > 1) {
                add(violations, "applied_twice_on_topic", key + " x" + applied.size());
            }
            if (!sentHashes.containsKey(key)) {
                add(violations, "phantom_on_topic", key);
            }
            if (!rowsByKey.containsKey(key)) {
                add(violations, "committed_but_not_in_database", key);
            }
        });
        rowsByKey.keySet().stream()
                .filter(key -> !appliedByKey.containsKey(key))
                .forEach(key -> add(violations, "in_database_but_not_committed", key));
        checkSequences(
                "database",
                observed.rows().stream()
                        .collect(Collectors.groupingBy(
                                Observed.Row::session,
                                Collectors.mapping(Observed.Row::sequence, Collectors.toList()))),
                violations);
        checkSequences(
                "topic",
                observed.committed().stream()
                        .collect(Collectors.groupingBy(
                                Observed.Applied::session,
                                Collectors.mapping(Observed.Applied::sequence, Collectors.toList()))),
                violations);

        long indeterminateKeys = sentHashes.keySet().stream()
                .filter(k -> !acknowledged.contains(k))
                .count();
        long indeterminatePresent = sentHashes.keySet().stream()
                .filter(k -> !acknowledged.contains(k) && rowsByKey.containsKey(k))
                .count();
        Map<String, Long> counts = new TreeMap<>();
        counts.put("operations", (long) history.size());
        counts.put("ops_ok", history.stream().filter(Op::ok).count());
        counts.put(
                "ops_fail",
                history.stream().filter(o -> o.result().equals(Op.FAIL)).count());
        counts.put(
                "ops_info",
                history.stream().filter(o -> o.result().equals(Op.INFO)).count());
        counts.put("keys_sent", (long) sentHashes.size());
        counts.put("keys_acknowledged", (long) acknowledged.size());
        counts.put("keys_indeterminate", indeterminateKeys);
        counts.put("keys_indeterminate_present", indeterminatePresent);
        counts.put("rows", (long) observed.rows().size());
        counts.put("committed_mutations", (long) observed.committed().size());
        counts.put(
                "sessions",
                observed.rows().stream().map(Observed.Row::session).distinct().count());
        for (String kind : List.of(
                "lost",
                "duplicate_rows",
                "phantom_rows",
                "applied_twice_on_topic",
                "phantom_on_topic",
                "committed_but_not_in_database",
                "in_database_but_not_committed",
                "sequence_gap_database",
                "sequence_gap_topic",
                "row_with_unsent_body",
                "row_in_wrong_session")) {
            counts.put(kind, (long) violations.getOrDefault(kind, List.of()).size());
        }
        Map<String, List<String>> examples = new LinkedHashMap<>();
        violations.forEach((k, v) -> examples.put(k, v.subList(0, Math.min(EXAMPLES, v.size()))));
        return new CheckResult(violations.isEmpty(), counts, examples);
    }

    private static void checkSequences(
            String where, Map<String, List<Long>> bySession, Map<String, List<String>> violations) {
        bySession.forEach((session, sequences) -> {
            List<Long> sorted = new ArrayList<>(sequences);
            sorted.sort(Long::compare);
            for (int i = 0; i < sorted.size(); i++) {
                if (sorted.get(i) != i + 1) {
                    add(
                            violations,
                            "sequence_gap_" + where,
                            session + " expected " + (i + 1) + " found " + sorted.get(i));
                    return;
                }
            }
        });
    }

    private static void add(Map<String, List<String>> violations, String kind, String example) {
        violations.computeIfAbsent(kind, k -> new ArrayList<>()).add(example);
    }
}
