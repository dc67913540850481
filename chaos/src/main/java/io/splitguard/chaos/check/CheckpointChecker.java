package io.splitguard.chaos.check;

import io.splitguard.chaos.workload.CheckpointOp;
import io.splitguard.chaos.workload.Op;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Checks the checkpoint invariants (design invariant 4 and the read-your-writes promise) against the
 * checkpoint history and what the system holds at the end. Pure: no I/O, no clock.
 *
 * <ul>
 *   <li>{@code checkpoint_regressed}: per session, a read that began after another read completed never
 *       serves an older sequence than it did, nor nothing at all, unless the served checkpoint's TTL had
 *       elapsed (counted from the first attempt to write it, the earliest it can have been stored);
 *   <li>{@code checkpoint_served_unwritten} / {@code checkpoint_served_refused_write}: every checkpoint
 *       served (sequence, checkpoint id and variables together) was sent in a write that was acknowledged
 *       or indeterminate; {@code checkpoint_sequence_with_two_contents}: one sequence of a session is never
 *       served with two different contents (an equal sequence from the other region must not replace it);
 *   <li>{@code checkpoint_read_your_writes}: a read carrying a write's position, sent after that write was
 *       acknowledged, serves at least the highest sequence acknowledged at or before that position on the
 *       session's partition (a 503 is allowed, an older checkpoint is not);
 *   <li>{@code checkpoint_final_*}: after healing and draining, each gateway and the {@code
 *       session_checkpoints} row hold the highest acknowledged sequence of the session (or a higher one that
 *       was attempted), with content that was sent, never below what a read already served, and the two
 *       agree.
 * </ul>
 *
 * A history without checkpoint writes, without an acknowledged one, without a read that restored a
 * checkpoint or without an answered read-your-writes read tests nothing: each is a harness error.
 */
public final class CheckpointChecker {

    public static final List<String> RULES = List.of(
            "checkpoint_regressed",
            "checkpoint_served_unwritten",
            "checkpoint_served_refused_write",
            "checkpoint_sequence_with_two_contents",
            "checkpoint_read_your_writes",
            "checkpoint_final_gateway",
            "checkpoint_final_database",
            "checkpoint_final_database_differs");

    /** The operation kinds of the history, in report order. */
    public static final List<String> KINDS =
            List.of(CheckpointOp.WRITE, CheckpointOp.STALE_WRITE, CheckpointOp.RYW_READ, CheckpointOp.READ);

    private CheckpointChecker() {}

    /**
     * @param counts every figure, one per rule among them
     * @param violations every violation found, by rule (all of them, not truncated)
     * @param harnessErrors reasons the checkpoint part of the run proves nothing
     */
    public record Result(
            Map<String, Long> counts,
            Map<String, List<String>> violations,
            List<String> harnessErrors,
            Map<String, Map<String, Long>> operations) {

        public boolean valid() {
            return violations.isEmpty() && harnessErrors.isEmpty();
        }
    }

    public static Result check(List<CheckpointOp> history, CheckpointFinal end) {
        Map<String, List<String>> violations = new LinkedHashMap<>();
        Map<String, Long> counts = new TreeMap<>();
        Writes writes = new Writes(history);

        counts.put("checkpoint_read_pairs_checked", neverRegress(history, writes, violations));
        counts.put("checkpoint_served_checked", servedWasWritten(history, end, writes, violations));
        counts.put("checkpoint_ryw_reads_checked", readYourWrites(history, writes, violations));
        counts.put("checkpoint_final_sessions", finalState(history, end, writes, violations));

        counts.put("checkpoint_writes", count(history, o -> CheckpointOp.WRITE.equals(o.type())));
        counts.put("checkpoint_stale_writes", count(history, o -> CheckpointOp.STALE_WRITE.equals(o.type())));
        counts.put("checkpoint_writes_ok", count(history, o -> o.isWrite() && o.ok()));
        counts.put("checkpoint_writes_info", count(history, o -> o.isWrite() && o.info()));
        counts.put("checkpoint_writes_fail", count(history, o -> o.isWrite() && Op.FAIL.equals(o.result())));
        counts.put(
                "checkpoint_stale_writes_acknowledged",
                count(history, o -> CheckpointOp.STALE_WRITE.equals(o.type()) && o.ok()));
        counts.put("checkpoint_reads", count(history, o -> CheckpointOp.READ.equals(o.type())));
        counts.put("checkpoint_ryw_reads", count(history, o -> CheckpointOp.RYW_READ.equals(o.type())));
        counts.put("checkpoint_reads_answered", count(history, o -> o.isRead() && o.ok()));
        counts.put("checkpoint_reads_restored", count(history, CheckpointOp::restored));
        counts.put("checkpoint_reads_unavailable", count(history, o -> o.isRead() && o.info()));
        counts.put(
                "checkpoint_ryw_reads_answered", count(history, o -> CheckpointOp.RYW_READ.equals(o.type()) && o.ok()));
        // a figure, not a rule: plain reads (no position) may lag an acknowledged write
        counts.put(
                "checkpoint_plain_reads_behind_acknowledged",
                count(
                        history,
                        o -> CheckpointOp.READ.equals(o.type())
                                && o.ok()
                                && o.acknowledgedBefore() >= 0
                                && (!o.restored() || o.sequence() < o.acknowledgedBefore())));
        counts.put(
                "checkpoint_sessions",
                history.stream()
                        .filter(CheckpointOp::isWrite)
                        .map(CheckpointOp::session)
                        .distinct()
                        .count());
        for (String rule : RULES) {
            counts.put(rule, (long) violations.getOrDefault(rule, List.of()).size());
        }

        List<String> harnessErrors = new ArrayList<>();
        if (history.stream().noneMatch(CheckpointOp::isWrite)) {
            harnessErrors.add("no checkpoint was written: the checkpoint invariants were not tested");
        } else if (history.stream().noneMatch(o -> o.isWrite() && o.ok())) {
            harnessErrors.add("no checkpoint write was acknowledged: the checkpoint invariants were not tested");
        }
        if (history.stream().noneMatch(CheckpointOp::restored)) {
            harnessErrors.add("no checkpoint read served a checkpoint: never-regress and content were not tested");
        }
        if (history.stream().noneMatch(o -> CheckpointOp.RYW_READ.equals(o.type()) && o.ok())) {
            harnessErrors.add("no read-your-writes read was answered: read-your-writes was not tested");
        }
        harnessErrors.addAll(end.incomplete());

        Map<String, Map<String, Long>> operations = new LinkedHashMap<>();
        for (String kind : KINDS) {
            Map<String, Long> byResult = new LinkedHashMap<>();
            List.of(Op.OK, Op.FAIL, Op.INFO).forEach(r -> byResult.put(r, 0L));
            operations.put(kind, byResult);
        }
        history.forEach(o ->
                operations.computeIfAbsent(o.type(), k -> new LinkedHashMap<>()).merge(o.result(), 1L, Long::sum));
        return new Result(counts, violations, List.copyOf(harnessErrors), operations);
    }

    /**
     * The run's result with the checkpoint result folded in: counts and operations added, violations
     * (truncated to ten examples each) and harness errors appended, valid only if both are.
     */
    public static CheckResult merge(CheckResult base, Result checkpoints) {
        return base.fold(
                checkpoints.valid(),
                checkpoints.counts(),
                checkpoints.operations(),
                checkpoints.violations(),
                Map.of(),
                checkpoints.harnessErrors());
    }

    /** The writes of the history, by session. */
    private static final class Writes {
        /** contents sent in writes answered 2xx or indeterminately */
        final Map<String, Set<String>> storable = new HashMap<>();
        /** contents sent in writes answered 4xx only */
        final Map<String, Set<String>> refused = new HashMap<>();
        /** session → sequence → earliest invocation of a storable write of it */
        final Map<String, Map<Long, Long>> firstAttempt = new HashMap<>();
        /** session → sequence → TTL asked for (the longest, to be lenient) */
        final Map<String, Map<Long, Integer>> ttl = new HashMap<>();

        final Map<String, List<CheckpointOp>> acknowledged = new HashMap<>();

        Writes(List<CheckpointOp> history) {
            for (CheckpointOp o : history) {
                if (!o.isWrite()) {
                    continue;
                }
                if (o.ok() || o.info()) {
                    storable.computeIfAbsent(o.session(), s -> new HashSet<>()).add(o.content());
                    firstAttempt
                            .computeIfAbsent(o.session(), s -> new HashMap<>())
                            .merge(o.sequence(), o.invokedAtMs(), Math::min);
                    ttl.computeIfAbsent(o.session(), s -> new HashMap<>())
                            .merge(o.sequence(), o.ttlSeconds(), Math::max);
                } else {
                    refused.computeIfAbsent(o.session(), s -> new HashSet<>()).add(o.content());
                }
                if (o.ok()) {
                    acknowledged
                            .computeIfAbsent(o.session(), s -> new ArrayList<>())
                            .add(o);
                }
            }
        }

        boolean storable(String session, String content) {
            return storable.getOrDefault(session, Set.of()).contains(content);
        }

        boolean refused(String session, String content) {
            return refused.getOrDefault(session, Set.of()).contains(content);
        }

        /** Whether a checkpoint of {@code sequence} can have expired by {@code atMs} (its TTL elapsed). */
        boolean mayHaveExpired(String session, long sequence, long atMs) {
            Long first = firstAttempt.getOrDefault(session, Map.of()).get(sequence);
            Integer seconds = ttl.getOrDefault(session, Map.of()).get(sequence);
            return first != null && seconds != null && atMs >= first + seconds * 1000L;
        }

        long highestAcknowledged(String session) {
            return acknowledged.getOrDefault(session, List.of()).stream()
                    .mapToLong(CheckpointOp::sequence)
                    .max()
                    .orElse(-1);
        }
    }

    /** Rule a; returns how many reads had an earlier completed read to compare with. */
    static long neverRegress(List<CheckpointOp> history, Writes writes, Map<String, List<String>> violations) {
        long checked = 0;
        Map<String, List<CheckpointOp>> reads = answeredReads(history);
        for (Map.Entry<String, List<CheckpointOp>> e : reads.entrySet()) {
            List<CheckpointOp> byInvoked = new ArrayList<>(e.getValue());
            byInvoked.sort(Comparator.comparingLong(CheckpointOp::invokedAtMs));
            List<CheckpointOp> byCompleted = new ArrayList<>(e.getValue());
            byCompleted.sort(Comparator.comparingLong(CheckpointOp::completedAtMs));
            int next = 0;
            CheckpointOp highest = null;
            boolean anyBefore = false;
            for (CheckpointOp read : byInvoked) {
                while (next < byCompleted.size() && byCompleted.get(next).completedAtMs() < read.invokedAtMs()) {
                    CheckpointOp done = byCompleted.get(next++);
                    anyBefore = true;
                    if (done.restored() && (highest == null || done.sequence() > highest.sequence())) {
                        highest = done;
                    }
                }
                if (!anyBefore) {
                    continue;
                }
                checked++;
                if (highest == null) {
                    continue;
                }
                if (read.restored() && read.sequence() >= highest.sequence()) {
                    continue;
                }
                if (!read.restored() && writes.mayHaveExpired(e.getKey(), highest.sequence(), read.completedAtMs())) {
                    continue;
                }
                add(
                        violations,
                        "checkpoint_regressed",
                        e.getKey() + ": read " + read.id() + " (gateway " + read.gateway() + ") served "
                                + served(read) + " after read " + highest.id() + " (gateway " + highest.gateway()
                                + ") had served #" + highest.sequence());
            }
        }
        return checked;
    }

    /** Rule b, over the reads and the final answers; returns how many served checkpoints were compared. */
    static long servedWasWritten(
            List<CheckpointOp> history, CheckpointFinal end, Writes writes, Map<String, List<String>> violations) {
        long checked = 0;
        Map<String, Map<Long, Set<String>>> contentsBySequence = new HashMap<>();
        List<Map.Entry<String, CheckpointFinal.Served>> served = new ArrayList<>();
        for (CheckpointOp read : history) {
            if (read.restored()) {
                served.add(Map.entry(
                        read.session(),
                        CheckpointFinal.Served.of(read.sequence(), read.checkpointId(), read.variables())));
            }
        }
        end.gateways().forEach((session, answers) -> answers.stream()
                .filter(CheckpointFinal.Served::restore)
                .forEach(a -> served.add(Map.entry(session, a))));
        end.rows().forEach((session, row) -> {
            if (row.restore()) {
                served.add(Map.entry(session, row));
            }
        });
        for (Map.Entry<String, CheckpointFinal.Served> s : served) {
            checked++;
            String session = s.getKey();
            String content = s.getValue().content();
            contentsBySequence
                    .computeIfAbsent(session, k -> new HashMap<>())
                    .computeIfAbsent(s.getValue().sequence(), k -> new HashSet<>())
                    .add(content);
            if (writes.storable(session, content)) {
                continue;
            }
            add(
                    violations,
                    writes.refused(session, content)
                            ? "checkpoint_served_refused_write"
                            : "checkpoint_served_unwritten",
                    session + " served " + s.getValue());
        }
        contentsBySequence.forEach((session, bySequence) -> bySequence.forEach((sequence, contents) -> {
            if (contents.size() > 1) {
                add(
                        violations,
                        "checkpoint_sequence_with_two_contents",
                        session + " #" + sequence + " served as " + new java.util.TreeSet<>(contents));
            }
        }));
        return checked;
    }

    /** Rule c; returns how many answered read-your-writes reads were compared. */
    static long readYourWrites(List<CheckpointOp> history, Writes writes, Map<String, List<String>> violations) {
        long checked = 0;
        for (CheckpointOp read : history) {
            if (!CheckpointOp.RYW_READ.equals(read.type()) || !read.ok() || read.position() == null) {
                continue;
            }
            long[] bound = position(read.position());
            if (bound == null) {
                continue;
            }
            CheckpointOp required = null;
            for (CheckpointOp w : writes.acknowledged.getOrDefault(read.session(), List.of())) {
                long[] p = w.position() == null ? null : position(w.position());
                boolean covered = w.id() == read.afterWrite()
                        || (p != null
                                && p[0] == bound[0]
                                && p[1] <= bound[1]
                                && w.completedAtMs() <= read.invokedAtMs());
                if (covered && (required == null || w.sequence() > required.sequence())) {
                    required = w;
                }
            }
            if (required == null) {
                continue;
            }
            checked++;
            if (read.restored() && read.sequence() >= required.sequence()) {
                continue;
            }
            if (!read.restored() && writes.mayHaveExpired(read.session(), required.sequence(), read.completedAtMs())) {
                continue;
            }
            add(
                    violations,
                    "checkpoint_read_your_writes",
                    read.session() + ": read " + read.id() + " (gateway " + read.gateway() + ", position "
                            + read.position() + ") served " + served(read) + " after write " + required.id()
                            + " of #" + required.sequence() + " was acknowledged at " + required.position());
        }
        return checked;
    }

    /** Rule d; returns how many sessions were compared. */
    static long finalState(
            List<CheckpointOp> history, CheckpointFinal end, Writes writes, Map<String, List<String>> violations) {
        Map<String, Long> highestServed = new HashMap<>();
        for (CheckpointOp read : history) {
            if (read.restored()) {
                highestServed.merge(read.session(), read.sequence(), Math::max);
            }
        }
        Set<String> sessions = new java.util.TreeSet<>(writes.storable.keySet());
        long checked = 0;
        for (String session : sessions) {
            checked++;
            long acknowledged = writes.highestAcknowledged(session);
            long served = highestServed.getOrDefault(session, -1L);
            for (CheckpointFinal.Served answer : end.gateways().getOrDefault(session, List.of())) {
                String problem = finalProblem(session, answer, acknowledged, served, writes);
                if (problem != null) {
                    add(violations, "checkpoint_final_gateway", session + ": gateway " + problem);
                }
            }
            CheckpointFinal.Served row = end.rows().getOrDefault(session, CheckpointFinal.Served.none("no row"));
            String problem = finalProblem(session, row, acknowledged, served, writes);
            if (problem != null) {
                add(violations, "checkpoint_final_database", session + ": session_checkpoints " + problem);
            }
            for (CheckpointFinal.Served answer : end.gateways().getOrDefault(session, List.of())) {
                if (answer.restore() != row.restore()
                        || (answer.restore() && !answer.content().equals(row.content()))) {
                    add(
                            violations,
                            "checkpoint_final_database_differs",
                            session + ": gateway serves " + answer + ", session_checkpoints holds " + row);
                    break;
                }
            }
        }
        return checked;
    }

    private static String finalProblem(
            String session, CheckpointFinal.Served s, long acknowledged, long served, Writes writes) {
        if (!s.restore()) {
            if (acknowledged < 0 && served < 0) {
                return null; // nothing acknowledged, nothing seen: none is a possible outcome
            }
            return "has no checkpoint (" + s.reason() + ") but #" + Math.max(acknowledged, served)
                    + " was acknowledged or served";
        }
        if (s.sequence() < acknowledged) {
            return "holds " + s + " below the highest acknowledged #" + acknowledged;
        }
        if (s.sequence() < served) {
            return "holds " + s + " below #" + served + ", which a read already served";
        }
        if (!writes.storable(session, s.content())) {
            return "holds " + s + ", which no acknowledged or indeterminate write sent";
        }
        return null;
    }

    private static Map<String, List<CheckpointOp>> answeredReads(List<CheckpointOp> history) {
        return history.stream()
                .filter(o -> o.isRead() && o.ok())
                .collect(Collectors.groupingBy(CheckpointOp::session, TreeMap::new, Collectors.toList()));
    }

    /** {@code partition:offset} as two numbers, or null when it is not one. */
    static long[] position(String position) {
        int colon = position.indexOf(':');
        if (colon < 1) {
            return null;
        }
        try {
            return new long[] {
                Long.parseLong(position.substring(0, colon)), Long.parseLong(position.substring(colon + 1))
            };
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static String served(CheckpointOp read) {
        return read.restored() ? "#" + read.sequence() : "restore:false " + read.reason();
    }

    private static long count(List<CheckpointOp> history, java.util.function.Predicate<CheckpointOp> p) {
        return history.stream().filter(p).count();
    }

    private static void add(Map<String, List<String>> violations, String rule, String example) {
        violations.computeIfAbsent(rule, k -> new ArrayList<>()).add(example);
    }
}
