package io.splitguard.chaos.check;

import io.splitguard.chaos.workload.LeaseOp;
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

/**
 * Checks the lease invariants against the lease history ({@link LeaseOp}), the audit topic and the lease
 * sessions' rows. Pure: no I/O, no clock.
 *
 * <p><b>Order.</b> A session's lease commands and its mutations are decided by one task (lease-commands is
 * co-partitioned with mutations-in and both processors share the lease store, so they form one
 * sub-topology), which writes its audit records keyed by the session id: all of a session's lease and
 * mutation decisions are on one audit partition, in the order the task made them; a zombie task's records
 * are aborted and invisible to a read-committed reader. Records of other writers on that partition (the
 * sink's refusals) are not decisions of that task and are only counted. The checker verifies that each
 * resource's records are on one partition (else a harness error) and reads them in offset order.
 *
 * <ul>
 *   <li>{@code lease_overlapping_grants_audit}: between a {@code lease_granted} and that lease's end
 *       ({@code lease_released}, {@code lease_expired}, {@code lease_overridden}, same fencing token) no
 *       other grant of the resource; {@code lease_end_unmatched}: an end for a lease that is not the open
 *       one (ended twice, or never granted);
 *   <li>{@code lease_token_not_increasing}: the fencing tokens of a resource's grants increase strictly in
 *       audit order;
 *   <li>{@code lease_overlapping_grants_client}: two grants answered 200 (different lock tokens) were never
 *       surely valid at once. A grant is surely valid from its decision ({@code expires_at} − TTL of the
 *       grant's answer: the topology sets {@code expires_at} = decision + TTL) until the earliest of: the
 *       latest {@code expires_at} an answer to it named (grant or heartbeat), the invocation of its first
 *       release, and the decision of its latest acknowledged renewal + the stale threshold (before that no
 *       override is allowed). Indeterminate heartbeats may have extended it further; they are ignored, which
 *       only shortens the interval;
 *   <li>{@code lease_grant_not_in_audit}: every grant answered 200 has a {@code lease_granted} record of its
 *       resource with its fencing token (no 2xx without a decision);
 *   <li>{@code lease_superseded_write_applied}: an {@code applied} record of a write whose {@code
 *       X-Fencing-Token} is lower than the token of the resource's latest grant before it, while that
 *       grant's entry was surely in the lease store: not released, and not ended by expiry or override
 *       more than the lock-delay before (the entry is kept at least that long). The topology must have
 *       fenced it. Writes after the newer lease was released (or its lock-delay passed) pass the topology by
 *       design (no entry) and are counted as {@code lease_superseded_applied_without_entry};
 *   <li>{@code lease_superseded_write_stored}: no row of {@code crm_contact_updates} carries a token lower
 *       than one granted on its session before its write was decided (its {@code applied} record), whether
 *       or not the lease entry was still there: what the CRM holds must not come from a superseded holder;
 *   <li>{@code lease_row_token_regressed}: per session, in sequence order, a row's token is never lower
 *       than an earlier row's (the sink's fence); {@code lease_row_token_differs}: a row's token is the one
 *       sent with its key; {@code lease_row_unknown_key}: a row for a key the workload never sent;
 *   <li>{@code lease_fenced_write_stored}: a key whose only verdicts were {@code fenced} has no row and no
 *       committed mutation.
 * </ul>
 *
 * No grant answered 200, no override, no fenced write (audit record), or no release in a run tests nothing
 * that matters: each is a harness error.
 */
public final class LeaseChecker {

    public static final List<String> RULES = List.of(
            "lease_overlapping_grants_audit",
            "lease_end_unmatched",
            "lease_token_not_increasing",
            "lease_overlapping_grants_client",
            "lease_grant_not_in_audit",
            "lease_superseded_write_applied",
            "lease_superseded_write_stored",
            "lease_row_token_regressed",
            "lease_row_token_differs",
            "lease_row_unknown_key",
            "lease_fenced_write_stored");

    /** The operation kinds of the history, in report order. */
    public static final List<String> KINDS =
            List.of(LeaseOp.ACQUIRE, LeaseOp.HEARTBEAT, LeaseOp.WRITE, LeaseOp.RELEASE);

    static final String GRANTED = "lease_granted";
    static final String RELEASED = "lease_released";
    static final String EXPIRED = "lease_expired";
    static final String OVERRIDDEN = "lease_overridden";
    static final String REFUSED = "lease_refused";
    static final String APPLIED = "applied";
    static final String FENCED = "fenced";

    private static final int EXAMPLES = 10;

    private LeaseChecker() {}

    /**
     * @param counts every figure, one per rule among them
     * @param violations every violation found, by rule
     * @param observations examples of figures worth reading that violate no rule
     * @param harnessErrors reasons the lease part of the run proves nothing
     */
    public record Result(
            Map<String, Long> counts,
            Map<String, List<String>> violations,
            Map<String, List<String>> observations,
            List<String> harnessErrors,
            Map<String, Map<String, Long>> operations) {

        public boolean valid() {
            return violations.isEmpty() && harnessErrors.isEmpty();
        }
    }

    /**
     * @param staleThresholdMs the topology's lease stale threshold
     * @param lockDelayMs the topology's lease lock-delay
     */
    public static Result check(List<LeaseOp> history, LeaseFinal end, long staleThresholdMs, long lockDelayMs) {
        return check(history, end, staleThresholdMs, lockDelayMs, 0);
    }

    /**
     * @param staleThresholdMs the topology's lease stale threshold
     * @param lockDelayMs the topology's lease lock-delay
     * @param fenceRetentionMs the topology's lease fence retention: how long an ended lease's entry (and so
     *     its token) is kept after the release or the end of the lock-delay
     */
    public static Result check(
            List<LeaseOp> history, LeaseFinal end, long staleThresholdMs, long lockDelayMs, long fenceRetentionMs) {
        Map<String, List<String>> violations = new LinkedHashMap<>();
        Map<String, List<String>> observations = new LinkedHashMap<>();
        Map<String, Long> counts = new TreeMap<>();
        List<String> harnessErrors = new ArrayList<>();

        Map<String, Long> tokenOfKey = new HashMap<>();
        for (LeaseOp op : history) {
            if (LeaseOp.WRITE.equals(op.type()) && op.key() != null) {
                tokenOfKey.put(op.key(), op.fencingToken());
            }
        }
        Map<String, List<LeaseFinal.Audit>> byResource = new TreeMap<>();
        for (LeaseFinal.Audit a : end.audits()) {
            byResource.computeIfAbsent(a.resource(), r -> new ArrayList<>()).add(a);
        }
        AuditOrder order = new AuditOrder(tokenOfKey, lockDelayMs, fenceRetentionMs);
        byResource.forEach((resource, audits) -> {
            if (audits.stream().map(LeaseFinal.Audit::partition).distinct().count() > 1) {
                harnessErrors.add("the audit records of " + resource + " are on several partitions: their order"
                        + " is not the deciding task's");
                return;
            }
            audits.sort(Comparator.comparingLong(LeaseFinal.Audit::offset));
            order.walk(resource, audits, violations);
        });
        counts.put("lease_grants_compared_audit", order.grants);
        counts.put("lease_token_pairs_compared", order.tokenPairs);
        counts.put("lease_applied_writes_compared", order.appliedWithToken);
        counts.put("lease_superseded_applied_without_entry", (long) order.withoutEntry.size());
        if (!order.withoutEntry.isEmpty()) {
            observations.put(
                    "lease_superseded_applied_without_entry",
                    order.withoutEntry.subList(0, Math.min(EXAMPLES, order.withoutEntry.size())));
        }

        counts.put("lease_client_grant_pairs_compared", clientOverlaps(history, staleThresholdMs, violations));
        counts.put("lease_grants_found_in_audit", grantsAudited(history, end, violations));
        counts.put("lease_rows_compared", rows(end, tokenOfKey, order, violations, observations, counts));

        counts.put("lease_acquires", count(history, o -> LeaseOp.ACQUIRE.equals(o.type())));
        counts.put("lease_grants", count(history, LeaseOp::granted));
        counts.put(
                "lease_grants_distinct",
                history.stream()
                        .filter(LeaseOp::granted)
                        .map(LeaseOp::lockToken)
                        .distinct()
                        .count());
        counts.put("lease_grants_overrode", count(history, o -> o.granted() && o.overrodeToken() > 0));
        counts.put(
                "lease_acquire_conflicts", count(history, o -> LeaseOp.ACQUIRE.equals(o.type()) && o.status() == 409));
        counts.put("lease_heartbeats_ok", count(history, o -> LeaseOp.HEARTBEAT.equals(o.type()) && o.ok()));
        counts.put(
                "lease_heartbeats_lost", count(history, o -> LeaseOp.HEARTBEAT.equals(o.type()) && o.status() == 409));
        counts.put("lease_releases_ok", count(history, o -> LeaseOp.RELEASE.equals(o.type()) && o.ok()));
        counts.put(
                "lease_releases_refused", count(history, o -> LeaseOp.RELEASE.equals(o.type()) && o.status() == 409));
        counts.put("lease_writes", count(history, o -> LeaseOp.WRITE.equals(o.type())));
        counts.put(
                "lease_writes_applied_answer",
                count(history, o -> LeaseOp.WRITE.equals(o.type()) && o.ok() && "applied".equals(o.outcome())));
        counts.put("lease_writes_fenced_answer", count(history, LeaseOp::fenced));
        counts.put(
                "lease_zombie_writes",
                count(history, o -> LeaseOp.WRITE.equals(o.type()) && LeaseOp.ZOMBIE.equals(o.phase())));
        counts.put(
                "lease_zombie_writes_fenced_answer",
                count(history, o -> o.fenced() && LeaseOp.ZOMBIE.equals(o.phase())));
        counts.put(
                "lease_zombie_heartbeats_refused",
                count(
                        history,
                        o -> LeaseOp.HEARTBEAT.equals(o.type())
                                && LeaseOp.ZOMBIE.equals(o.phase())
                                && o.status() == 409));
        counts.put("lease_ops_info", count(history, LeaseOp::info));
        for (String decision : List.of(GRANTED, RELEASED, EXPIRED, OVERRIDDEN, REFUSED, APPLIED, FENCED)) {
            counts.put(
                    "lease_audit_" + decision,
                    end.audits().stream()
                            .filter(a -> decision.equals(a.decision()))
                            .count());
        }
        end.sinkRefusals().forEach((reason, n) -> counts.put("lease_sink_refusals_" + reason, n));
        for (String rule : RULES) {
            counts.put(rule, (long) violations.getOrDefault(rule, List.of()).size());
        }

        if (history.stream().noneMatch(LeaseOp::granted)) {
            harnessErrors.add("no lease was granted (200): the lease invariants were not tested");
        }
        if (counts.get("lease_audit_" + OVERRIDDEN) == 0) {
            harnessErrors.add("no lease was overridden: takeover of a stale holder was not tested");
        }
        if (counts.get("lease_audit_" + FENCED) == 0) {
            harnessErrors.add("no write was fenced: the fencing of superseded tokens was not tested");
        }
        if (counts.get("lease_audit_" + RELEASED) == 0) {
            harnessErrors.add("no lease was released: release was not tested");
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
        return new Result(counts, violations, observations, List.copyOf(harnessErrors), operations);
    }

    /**
     * The run's result with the lease result folded in: counts and operations added, violations and
     * observations (ten examples each) and harness errors appended, valid only if both are.
     */
    public static CheckResult merge(CheckResult base, Result leases) {
        return base.fold(
                leases.valid(),
                leases.counts(),
                leases.operations(),
                leases.violations(),
                leases.observations(),
                leases.harnessErrors());
    }

    /** The audit-order rules, walked resource by resource; keeps what the row rules need. */
    static final class AuditOrder {
        private final Map<String, Long> tokenOfKey;
        private final long lockDelayMs;
        private final long fenceRetentionMs;
        long grants;
        long tokenPairs;
        long appliedWithToken;
        final List<String> withoutEntry = new ArrayList<>();
        /** key → the highest token granted on its session before its applied record (absent: none) */
        final Map<String, Long> grantedBeforeApplied = new HashMap<>();
        /** keys with an applied record */
        final Set<String> applied = new HashSet<>();
        /** keys with a fenced record */
        final Set<String> fenced = new HashSet<>();

        AuditOrder(Map<String, Long> tokenOfKey, long lockDelayMs, long fenceRetentionMs) {
            this.fenceRetentionMs = fenceRetentionMs;
            this.tokenOfKey = tokenOfKey;
            this.lockDelayMs = lockDelayMs;
        }

        void walk(String resource, List<LeaseFinal.Audit> audits, Map<String, List<String>> violations) {
            LeaseFinal.Audit open = null;
            LeaseFinal.Audit lastGrant = null;
            LeaseFinal.Audit lastEnd = null;
            for (LeaseFinal.Audit a : audits) {
                switch (a.decision()) {
                    case GRANTED -> {
                        grants++;
                        if (open != null) {
                            add(
                                    violations,
                                    "lease_overlapping_grants_audit",
                                    resource + ": grant @" + a.sequence() + " (offset " + a.offset() + ") while the"
                                            + " lease @" + open.sequence() + " granted at offset " + open.offset()
                                            + " had not ended");
                        }
                        if (lastGrant != null) {
                            tokenPairs++;
                            if (a.sequence() <= lastGrant.sequence()) {
                                add(
                                        violations,
                                        "lease_token_not_increasing",
                                        resource + ": grant @" + a.sequence() + " (offset " + a.offset()
                                                + ") after grant @" + lastGrant.sequence() + " (offset "
                                                + lastGrant.offset() + ")");
                            }
                        }
                        open = a;
                        lastGrant = a;
                        lastEnd = null;
                    }
                    case RELEASED, EXPIRED, OVERRIDDEN -> {
                        if (open == null || open.sequence() != a.sequence()) {
                            add(
                                    violations,
                                    "lease_end_unmatched",
                                    resource + ": " + a.decision() + " @" + a.sequence() + " (offset " + a.offset()
                                            + ") but the open lease is "
                                            + (open == null ? "none" : "@" + open.sequence()));
                        } else {
                            open = null;
                            lastEnd = a;
                        }
                    }
                    case APPLIED -> {
                        String key = a.key();
                        applied.add(key);
                        Long token = tokenOfKey.get(key);
                        if (lastGrant != null) {
                            grantedBeforeApplied.put(key, lastGrant.sequence());
                        }
                        if (token == null || lastGrant == null) {
                            break;
                        }
                        appliedWithToken++;
                        if (token >= lastGrant.sequence()) {
                            break;
                        }
                        String what = resource + ": key " + key + " with token " + token + " applied (offset "
                                + a.offset() + ") after grant @" + lastGrant.sequence() + " (offset "
                                + lastGrant.offset() + ")";
                        if (entrySurelyKept(lastEnd, a)) {
                            add(
                                    violations,
                                    "lease_superseded_write_applied",
                                    what
                                            + (lastEnd == null
                                                    ? ", lease live"
                                                    : ", " + lastEnd.decision() + " at " + lastEnd.atMs()
                                                            + " ms, applied at " + a.atMs() + " ms"));
                        } else {
                            withoutEntry.add(
                                    what + " and its " + lastEnd.decision() + " (offset " + lastEnd.offset() + ")");
                        }
                    }
                    case FENCED -> fenced.add(a.key());
                    default -> {
                        // refusals, duplicates, the sink's records: not part of these rules
                    }
                }
            }
        }

        /**
         * Whether the lease store surely still held the entry of the latest grant when {@code applied} was
         * decided: the lease had not ended, or it ended less than the fence retention before (after a
         * release), or less than the lock-delay plus the fence retention before (after expiry or override).
         */
        private boolean entrySurelyKept(LeaseFinal.Audit lastEnd, LeaseFinal.Audit applied) {
            if (lastEnd == null) {
                return true;
            }
            long kept = RELEASED.equals(lastEnd.decision()) ? fenceRetentionMs : lockDelayMs + fenceRetentionMs;
            return applied.atMs() < lastEnd.atMs() + kept;
        }
    }

    /** A grant as its holder saw it: when it was surely valid. */
    private record ClientGrant(String resource, String lockToken, long token, String region, long from, long until) {}

    /** Rule: no two grants surely valid at once; returns the pairs compared. */
    static long clientOverlaps(List<LeaseOp> history, long staleThresholdMs, Map<String, List<String>> violations) {
        Map<String, List<LeaseOp>> byLock = new LinkedHashMap<>();
        for (LeaseOp op : history) {
            if (op.lockToken() != null && !LeaseOp.WRITE.equals(op.type())) {
                byLock.computeIfAbsent(op.resource() + " " + op.lockToken(), k -> new ArrayList<>())
                        .add(op);
            }
        }
        Map<String, List<ClientGrant>> byResource = new TreeMap<>();
        for (List<LeaseOp> ops : byLock.values()) {
            LeaseOp grant = ops.stream()
                    .filter(LeaseOp::granted)
                    .filter(o -> o.expiresAtMs() > 0)
                    .min(Comparator.comparingLong(LeaseOp::expiresAtMs))
                    .orElse(null);
            if (grant == null) {
                continue;
            }
            long ttl = grant.ttlMs();
            long decided = grant.expiresAtMs() - ttl;
            long latestExpiry = grant.expiresAtMs();
            long releaseAt = Long.MAX_VALUE;
            for (LeaseOp o : ops) {
                if ((o.granted() || (LeaseOp.HEARTBEAT.equals(o.type()) && o.ok())) && o.expiresAtMs() > 0) {
                    latestExpiry = Math.max(latestExpiry, o.expiresAtMs());
                }
                if (LeaseOp.RELEASE.equals(o.type())) {
                    releaseAt = Math.min(releaseAt, o.invokedAtMs());
                }
            }
            long lastRenewal = latestExpiry - ttl;
            long until = Math.min(latestExpiry, Math.min(releaseAt, lastRenewal + staleThresholdMs));
            byResource
                    .computeIfAbsent(grant.resource(), r -> new ArrayList<>())
                    .add(new ClientGrant(
                            grant.resource(), grant.lockToken(), grant.fencingToken(), grant.region(), decided, until));
        }
        long pairs = 0;
        for (List<ClientGrant> grants : byResource.values()) {
            for (int i = 0; i < grants.size(); i++) {
                for (int j = i + 1; j < grants.size(); j++) {
                    pairs++;
                    ClientGrant a = grants.get(i);
                    ClientGrant b = grants.get(j);
                    long from = Math.max(a.from(), b.from());
                    long until = Math.min(a.until(), b.until());
                    if (from < until) {
                        add(
                                violations,
                                "lease_overlapping_grants_client",
                                a.resource() + ": " + a.region() + " @" + a.token() + " surely held [" + a.from() + ", "
                                        + a.until() + ") and " + b.region() + " @" + b.token() + " [" + b.from()
                                        + ", " + b.until() + "): both for " + (until - from) + " ms");
                    }
                }
            }
        }
        return pairs;
    }

    /** Rule: every 200 grant has its audit record; returns how many were found. */
    static long grantsAudited(List<LeaseOp> history, LeaseFinal end, Map<String, List<String>> violations) {
        Set<String> audited = new HashSet<>();
        end.audits().stream()
                .filter(a -> GRANTED.equals(a.decision()))
                .forEach(a -> audited.add(a.resource() + " @" + a.sequence()));
        long found = 0;
        Set<String> seen = new HashSet<>();
        for (LeaseOp op : history) {
            if (!op.granted() || !seen.add(op.resource() + " " + op.lockToken())) {
                continue;
            }
            if (audited.contains(op.resource() + " @" + op.fencingToken())) {
                found++;
            } else {
                add(
                        violations,
                        "lease_grant_not_in_audit",
                        op.resource() + ": " + op.region() + " was answered a grant @" + op.fencingToken() + " (op "
                                + op.id() + ") that no lease_granted record names");
            }
        }
        return found;
    }

    /** The row rules; returns how many rows were compared. */
    private static long rows(
            LeaseFinal end,
            Map<String, Long> tokenOfKey,
            AuditOrder order,
            Map<String, List<String>> violations,
            Map<String, List<String>> observations,
            Map<String, Long> counts) {
        long withoutAudit = 0;
        Map<String, List<LeaseFinal.Row>> bySession = new TreeMap<>();
        Set<String> stored = new HashSet<>();
        for (LeaseFinal.Row row : end.rows()) {
            stored.add(row.key());
            bySession.computeIfAbsent(row.session(), s -> new ArrayList<>()).add(row);
            Long sent = tokenOfKey.get(row.key());
            if (!tokenOfKey.containsKey(row.key())) {
                add(violations, "lease_row_unknown_key", row.session() + ": row for key " + row.key());
                continue;
            }
            if (row.fencingToken() == null || !row.fencingToken().equals(sent)) {
                add(
                        violations,
                        "lease_row_token_differs",
                        row.session() + ": key " + row.key() + " stored with token " + row.fencingToken() + ", sent "
                                + sent);
            }
            if (!order.applied.contains(row.key())) {
                withoutAudit++;
                observations
                        .computeIfAbsent("lease_rows_without_applied_audit", k -> new ArrayList<>())
                        .add(row.session() + ": key " + row.key());
                continue;
            }
            Long before = order.grantedBeforeApplied.get(row.key());
            if (row.fencingToken() != null && before != null && row.fencingToken() < before) {
                add(
                        violations,
                        "lease_superseded_write_stored",
                        row.session() + ": key " + row.key() + " stored with token " + row.fencingToken()
                                + " (sequence " + row.sequence() + "), decided after grant @" + before);
            }
        }
        counts.put("lease_rows_without_applied_audit", withoutAudit);
        for (List<LeaseFinal.Row> rows : bySession.values()) {
            rows.sort(Comparator.comparingLong(LeaseFinal.Row::epoch).thenComparingLong(LeaseFinal.Row::sequence));
            LeaseFinal.Row highest = null;
            for (LeaseFinal.Row row : rows) {
                if (row.fencingToken() == null) {
                    continue;
                }
                if (highest != null && row.fencingToken() < highest.fencingToken()) {
                    add(
                            violations,
                            "lease_row_token_regressed",
                            row.session() + ": sequence " + row.sequence() + " (key " + row.key() + ") token "
                                    + row.fencingToken() + " after sequence " + highest.sequence() + " token "
                                    + highest.fencingToken());
                }
                if (highest == null || row.fencingToken() > highest.fencingToken()) {
                    highest = row;
                }
            }
        }
        Set<String> committed = new HashSet<>();
        end.committed().forEach(m -> committed.add(m.key()));
        for (String key : order.fenced) {
            if (order.applied.contains(key)) {
                continue;
            }
            if (stored.contains(key) || committed.contains(key)) {
                add(
                        violations,
                        "lease_fenced_write_stored",
                        "key " + key + " was only ever fenced, yet "
                                + (stored.contains(key) ? "has a row" : "has a committed mutation"));
            }
        }
        return end.rows().size();
    }

    private static long count(List<LeaseOp> history, java.util.function.Predicate<LeaseOp> p) {
        return history.stream().filter(p).count();
    }

    private static void add(Map<String, List<String>> violations, String rule, String example) {
        violations.computeIfAbsent(rule, k -> new ArrayList<>()).add(example);
    }
}
