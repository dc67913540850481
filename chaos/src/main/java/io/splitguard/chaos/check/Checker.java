package io.splitguard.chaos.check;

import io.splitguard.chaos.workload.Op;
import io.splitguard.gateway.api.WebhookController;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Checks the invariants against the history and what the system holds. Every row of {@code
 * crm_contact_updates} and every committed record on the mutations topic is joined to the history by
 * route and idempotency key (the product scopes a key by tenant, route and session, so a CRM update and a
 * platform notification may carry the same key and still be two rows) and compared by content:
 *
 * <ul>
 *   <li>every acknowledged key is in PostgreSQL ({@code lost}), and a key is applied at most once on
 *       the mutations topic and stored in at most one row, even where the database's unique constraint
 *       (on the scoped key) would hide it;
 *   <li>nothing is present that was never sent ({@code phantom_*}); each row and record is in the
 *       session its key was sent for and carries a body that was sent under its key in a request that
 *       was acknowledged or indeterminate, never one the gateway refused ({@code *_with_refused_body}) or
 *       one nobody sent ({@code *_with_unsent_body});
 *   <li>a row equals its committed mutation (session, sequence, body); the database holds exactly what
 *       committed transactions wrote (no aborted record reached it, the sink missed nothing);
 *   <li>each session's sequences are 1..n without gaps or repeats within each of its epochs, on the
 *       topic and in the database;
 *   <li>a 2xx answer names the body that was sent ({@code acknowledged_other_body}); hostile bodies are
 *       never acknowledged and never stored;
 *   <li>a platform notification's row holds the notification as delivered: its {@code payload} column,
 *       hashed as read back, is a notification sent under its key ({@code webhook_payload_not_delivered}),
 *       and its operation is the notification's {@code topicName} ({@code webhook_operation_differs});
 *   <li>a notification whose signature does not hold is answered 401 ({@code forged_not_refused}; a 429
 *       or an indeterminate answer says nothing either way) and never reaches the topic or the database
 *       ({@code forged_stored}).
 * </ul>
 *
 * Keys that only got indeterminate answers may appear 0 or 1 times: more is caught by {@code
 * applied_twice_on_topic} and {@code key_in_several_rows}. A run also proves nothing when too little
 * of its workload was acknowledged or when the harness did not see the system settle: those are
 * harness errors, and such a run is not valid either; so is a run in which no platform notification was
 * acknowledged or no notification with a bad signature was answered 401 (the webhook route went untested).
 */
public final class Checker {

    /** Every invariant, each a count in the result (zero when it held). */
    public static final List<String> RULES = List.of(
            "lost",
            "key_in_several_rows",
            "phantom_rows",
            "phantom_on_topic",
            "row_in_wrong_session",
            "topic_in_wrong_session",
            "row_with_unsent_body",
            "row_with_refused_body",
            "topic_with_unsent_body",
            "topic_with_refused_body",
            "row_differs_from_topic",
            "applied_twice_on_topic",
            "committed_but_not_in_database",
            "in_database_but_not_committed",
            "sequence_gap_database",
            "sequence_gap_topic",
            "acknowledged_other_body",
            "hostile_acknowledged",
            "hostile_stored",
            "webhook_payload_not_delivered",
            "webhook_operation_differs",
            "forged_not_refused",
            "forged_stored");

    public static final List<String> KINDS = List.of(
            Op.WRITE, Op.ONCE, Op.REPLAY, Op.CONFLICT, Op.HOSTILE, Op.WEBHOOK, Op.WEBHOOK_RETRY, Op.WEBHOOK_FORGED);
    public static final List<String> RESULTS = List.of(Op.OK, Op.FAIL, Op.INFO);

    private static final int EXAMPLES = 10;

    private Checker() {}

    /** What a row, a record and an operation are joined by: the key within its route. */
    record Id(String route, String key) {

        static Id of(Op op) {
            return new Id(op.route(), op.key());
        }

        static Id of(Observed.Row row) {
            return new Id(row.route(), row.key());
        }

        static Id of(Observed.Applied applied) {
            return new Id(applied.route(), applied.key());
        }

        boolean webhook() {
            return route != null && route.startsWith(WebhookController.ROUTE_PREFIX);
        }

        @Override
        public String toString() {
            return Op.CRM_ROUTE.equals(route) ? key : route + "/" + key;
        }
    }

    /** What the history says about one key. */
    private static final class KeyHistory {
        final Set<String> sessions = new HashSet<>();
        /** session and hash of every body sent in a request answered 2xx or indeterminately */
        final Set<String> storable = new HashSet<>();
        /** every hash sent under the key, whatever the answer */
        final Set<String> sent = new HashSet<>();

        final Set<String> acknowledgedHashes = new HashSet<>();
        /** the operations (a notification's topicName) sent in requests answered 2xx or indeterminately */
        final Set<String> storableOperations = new HashSet<>();

        boolean acknowledged;
        boolean indeterminate;
        boolean hostile;
        boolean written;
        boolean once;
        /** a genuine platform notification (first delivery or the platform's retry) */
        boolean webhook;
        /** sent with a signature that does not hold */
        boolean forged;

        void add(Op op) {
            sessions.add(op.session());
            sent.add(op.payloadHash());
            if (op.ok() || op.info()) {
                storable.add(pair(op.session(), op.payloadHash()));
                if (op.operation() != null) {
                    storableOperations.add(op.operation());
                }
            }
            if (op.ok()) {
                acknowledged = true;
                acknowledgedHashes.add(op.payloadHash());
            }
            indeterminate |= op.info();
            hostile |= Op.HOSTILE.equals(op.kind());
            written |= Op.WRITE.equals(op.kind());
            once |= Op.ONCE.equals(op.kind());
            webhook |= op.webhook() && !op.forged();
            forged |= op.forged();
        }

        /** Only ever sent with a bad signature: nothing of it may be stored. */
        boolean forgedOnly() {
            return forged && !webhook;
        }

        boolean indeterminateOnly() {
            return indeterminate && !acknowledged;
        }
    }

    /**
     * @param minAcknowledgedShare the share of written keys (kind {@code write}) that must have been
     *     acknowledged for the run to count; below it the run is a harness error
     */
    public static CheckResult check(List<Op> history, Observed observed, double minAcknowledgedShare) {
        Map<Id, KeyHistory> keys = new HashMap<>();
        for (Op op : history) {
            keys.computeIfAbsent(Id.of(op), k -> new KeyHistory()).add(op);
        }
        Map<Id, List<Observed.Row>> rowsByKey = observed.rows().stream().collect(Collectors.groupingBy(Id::of));
        Map<Id, List<Observed.Applied>> appliedByKey =
                observed.committed().stream().collect(Collectors.groupingBy(Id::of));
        Map<String, List<String>> violations = new LinkedHashMap<>();
        Map<String, List<String>> observations = new LinkedHashMap<>();

        keys.forEach((key, h) -> {
            if (h.acknowledged && !rowsByKey.containsKey(key)) {
                add(violations, "lost", key.toString());
            }
            if (h.hostile && (rowsByKey.containsKey(key) || appliedByKey.containsKey(key))) {
                add(violations, "hostile_stored", key.toString());
            }
            if (h.forgedOnly() && (rowsByKey.containsKey(key) || appliedByKey.containsKey(key))) {
                add(violations, "forged_stored", key.toString());
            }
        });
        for (Op op : history) {
            if (op.ok()
                    && op.answeredPayloadHash() != null
                    && !op.answeredPayloadHash().equals(op.payloadHash())) {
                add(
                        violations,
                        "acknowledged_other_body",
                        "op " + op.id() + " " + op.key() + " sent " + op.payloadHash() + " answered "
                                + op.answeredPayloadHash());
            }
            if (op.ok() && Op.HOSTILE.equals(op.kind())) {
                add(violations, "hostile_acknowledged", "op " + op.id() + " " + op.key() + " status " + op.status());
            }
            if (op.forged() && !refusedAsForged(op)) {
                add(
                        violations,
                        "forged_not_refused",
                        "op " + op.id() + " " + op.key() + " status " + op.status() + " " + op.detail());
            }
        }

        rowsByKey.forEach((key, rows) -> {
            if (rows.size() > 1) {
                add(violations, "key_in_several_rows", key + " x" + rows.size());
            }
            for (Observed.Row row : rows) {
                checkContent("row", keys.get(key), key, row.session(), row.payloadHash(), violations);
                checkNotification(keys.get(key), key, row, violations);
            }
            List<Observed.Applied> applied = appliedByKey.get(key);
            if (applied == null) {
                add(violations, "in_database_but_not_committed", key.toString());
            } else {
                for (Observed.Row row : rows) {
                    boolean matches = applied.stream()
                            .anyMatch(a -> a.session().equals(row.session())
                                    && a.epoch() == row.epoch()
                                    && a.sequence() == row.sequence()
                                    && a.payloadHash().equals(row.payloadHash()));
                    if (!matches) {
                        Observed.Applied a = applied.get(0);
                        add(
                                violations,
                                "row_differs_from_topic",
                                key + " row " + row.session() + "#" + row.epoch() + "/" + row.sequence() + " "
                                        + row.payloadHash() + " topic " + a.session() + "#" + a.epoch() + "/"
                                        + a.sequence() + " " + a.payloadHash());
                    }
                }
            }
        });
        appliedByKey.forEach((key, applied) -> {
            if (applied.size() > 1) {
                add(violations, "applied_twice_on_topic", key + " x" + applied.size());
            }
            for (Observed.Applied a : applied) {
                checkContent("topic", keys.get(key), key, a.session(), a.payloadHash(), violations);
            }
            if (!rowsByKey.containsKey(key)) {
                add(violations, "committed_but_not_in_database", key.toString());
            }
        });
        checkSequences(
                "database",
                observed.rows().stream()
                        .collect(Collectors.groupingBy(
                                r -> r.session() + " epoch " + r.epoch(),
                                Collectors.mapping(Observed.Row::sequence, Collectors.toList()))),
                violations);
        checkSequences(
                "topic",
                observed.committed().stream()
                        .collect(Collectors.groupingBy(
                                a -> a.session() + " epoch " + a.epoch(),
                                Collectors.mapping(Observed.Applied::sequence, Collectors.toList()))),
                violations);

        // a figure, not a rule: a client holding a 2xx for a body the system did not keep (a lost race
        // answered 200, or a cache that forgot the key)
        keys.forEach((key, h) -> {
            String stored = storedHash(rowsByKey.get(key), appliedByKey.get(key));
            if (stored == null) {
                return;
            }
            for (String acknowledged : h.acknowledgedHashes) {
                if (!acknowledged.equals(stored)) {
                    add(
                            observations,
                            "acknowledged_body_not_stored",
                            key + " acknowledged " + acknowledged + " stored " + stored);
                    break;
                }
            }
        });

        long written = keys.values().stream().filter(h -> h.written).count();
        long writtenAcknowledged =
                keys.values().stream().filter(h -> h.written && h.acknowledged).count();
        long acknowledged = keys.values().stream().filter(h -> h.acknowledged).count();
        List<String> harnessErrors = new ArrayList<>();
        if (acknowledged == 0) {
            harnessErrors.add("nothing was acknowledged: the run tested nothing");
        }
        if (written > 0 && writtenAcknowledged < minAcknowledgedShare * written) {
            harnessErrors.add(String.format(
                    Locale.ROOT,
                    "only %d of %d written keys (%.1f %%) were acknowledged; the profile expects at least %.1f %%",
                    writtenAcknowledged,
                    written,
                    100.0 * writtenAcknowledged / written,
                    100.0 * minAcknowledgedShare));
        }
        long webhookKeys = keys.values().stream().filter(h -> h.webhook).count();
        long webhookAcknowledged =
                keys.values().stream().filter(h -> h.webhook && h.acknowledged).count();
        long forgedRefused =
                history.stream().filter(o -> o.forged() && o.status() == 401).count();
        if (webhookAcknowledged == 0) {
            harnessErrors.add("no platform notification was acknowledged: the webhook route was not tested");
        } else if (webhookAcknowledged < minAcknowledgedShare * webhookKeys) {
            harnessErrors.add(String.format(
                    Locale.ROOT,
                    "only %d of %d platform notifications (%.1f %%) were acknowledged; the profile expects at least"
                            + " %.1f %%",
                    webhookAcknowledged,
                    webhookKeys,
                    100.0 * webhookAcknowledged / webhookKeys,
                    100.0 * minAcknowledgedShare));
        }
        if (forgedRefused == 0) {
            harnessErrors.add(
                    "no notification with a bad signature was answered 401: the signature check was not tested");
        }
        harnessErrors.addAll(observed.incomplete());

        Map<String, Map<String, Long>> operations = new LinkedHashMap<>();
        for (String kind : KINDS) {
            Map<String, Long> byResult = new LinkedHashMap<>();
            RESULTS.forEach(r -> byResult.put(r, 0L));
            operations.put(kind, byResult);
        }
        for (Op op : history) {
            operations.computeIfAbsent(op.kind(), k -> new LinkedHashMap<>()).merge(op.result(), 1L, Long::sum);
        }

        Map<String, Long> counts = new TreeMap<>();
        counts.put("operations", (long) history.size());
        counts.put("ops_ok", history.stream().filter(Op::ok).count());
        counts.put("ops_fail", history.stream().filter(Op::fail).count());
        counts.put("ops_info", history.stream().filter(Op::info).count());
        counts.put(
                "ok_answers_without_payload_hash",
                history.stream()
                        .filter(o -> o.ok() && o.answeredPayloadHash() == null)
                        .count());
        counts.put("keys_sent", (long) keys.size());
        counts.put("keys_written", written);
        counts.put("keys_written_acknowledged", writtenAcknowledged);
        counts.put("keys_acknowledged", acknowledged);
        counts.put(
                "keys_indeterminate",
                keys.values().stream().filter(KeyHistory::indeterminateOnly).count());
        counts.put(
                "keys_indeterminate_present",
                keys.entrySet().stream()
                        .filter(e -> e.getValue().indeterminateOnly()
                                && (rowsByKey.containsKey(e.getKey()) || appliedByKey.containsKey(e.getKey())))
                        .count());
        counts.put(
                "keys_once_indeterminate",
                keys.values().stream()
                        .filter(h -> h.once && h.indeterminateOnly())
                        .count());
        counts.put("keys_hostile", keys.values().stream().filter(h -> h.hostile).count());
        counts.put("webhook_keys", webhookKeys);
        counts.put("webhook_keys_acknowledged", webhookAcknowledged);
        counts.put(
                "webhook_keys_stored",
                rowsByKey.keySet().stream().filter(Id::webhook).count());
        counts.put(
                "webhook_ops",
                history.stream().filter(o -> o.webhook() && !o.forged()).count());
        counts.put(
                "webhook_ops_ok",
                history.stream()
                        .filter(o -> o.webhook() && !o.forged() && o.ok())
                        .count());
        counts.put(
                "webhook_retries_ok",
                history.stream()
                        .filter(o -> Op.WEBHOOK_RETRY.equals(o.kind()) && o.ok())
                        .count());
        counts.put(
                "webhook_ok_replayed",
                history.stream()
                        .filter(o -> o.webhook() && o.ok() && "true".equalsIgnoreCase(o.detail()))
                        .count());
        // a figure, not a rule: a genuine notification refused 401 (a gateway clock skewed past the
        // signature tolerance refuses every signed delivery; the other region's delivery carries it)
        counts.put(
                "webhook_genuine_401",
                history.stream()
                        .filter(o -> o.webhook() && !o.forged() && o.status() == 401)
                        .count());
        counts.put("webhook_forged_sent", history.stream().filter(Op::forged).count());
        counts.put("webhook_forged_401", forgedRefused);
        counts.put("rows", (long) observed.rows().size());
        counts.put("committed_mutations", (long) observed.committed().size());
        counts.put(
                "sessions",
                observed.rows().stream().map(Observed.Row::session).distinct().count());
        counts.put("acknowledged_body_not_stored", (long) observations
                .getOrDefault("acknowledged_body_not_stored", List.of())
                .size());
        for (String rule : RULES) {
            counts.put(rule, (long) violations.getOrDefault(rule, List.of()).size());
        }
        return new CheckResult(
                violations.isEmpty() && harnessErrors.isEmpty(),
                List.copyOf(harnessErrors),
                counts,
                operations,
                truncated(violations),
                truncated(observations));
    }

    /** A row's or record's session and body against what was sent under its key. */
    private static void checkContent(
            String where, KeyHistory h, Id key, String session, String hash, Map<String, List<String>> violations) {
        if (h == null) {
            add(violations, where.equals("row") ? "phantom_rows" : "phantom_on_topic", key.toString());
            return;
        }
        if (!h.sessions.contains(session)) {
            add(violations, where + "_in_wrong_session", key + " in " + session + ", sent for " + h.sessions);
        } else if (!h.storable.contains(pair(session, hash))) {
            add(
                    violations,
                    h.sent.contains(hash) ? where + "_with_refused_body" : where + "_with_unsent_body",
                    key + " " + hash);
        }
    }

    /**
     * A webhook route's row against the notifications sent under its key: the payload as read back is one
     * of them (not the envelope written to the pipeline, not another body), and the operation is its
     * topicName. Rows of other routes and rows of keys never sent (a phantom, counted as such) pass.
     */
    private static void checkNotification(
            KeyHistory h, Id key, Observed.Row row, Map<String, List<String>> violations) {
        if (h == null || !key.webhook()) {
            return;
        }
        if (row.storedPayloadHash() == null || !h.storable.contains(pair(row.session(), row.storedPayloadHash()))) {
            add(
                    violations,
                    "webhook_payload_not_delivered",
                    key + " stored payload " + row.storedPayloadHash() + ", delivered " + h.sent);
        }
        if (!h.storableOperations.isEmpty() && !h.storableOperations.contains(row.operation())) {
            add(
                    violations,
                    "webhook_operation_differs",
                    key + " operation " + row.operation() + ", delivered " + h.storableOperations);
        }
    }

    /**
     * Whether a delivery with a bad signature got an answer that refuses it as such: 401, or an answer
     * that says nothing about the signature (429, given before authentication; a 5xx, a timeout or a
     * connection error). A 2xx or any other 4xx means the signature was not what refused it.
     */
    static boolean refusedAsForged(Op op) {
        return op.status() == 401 || op.status() == 429 || op.info();
    }

    private static String storedHash(List<Observed.Row> rows, List<Observed.Applied> applied) {
        if (rows != null && !rows.isEmpty()) {
            return rows.get(0).payloadHash();
        }
        return applied != null && !applied.isEmpty() ? applied.get(0).payloadHash() : null;
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

    private static String pair(String session, String hash) {
        return session + '\n' + hash;
    }

    private static Map<String, List<String>> truncated(Map<String, List<String>> all) {
        Map<String, List<String>> examples = new LinkedHashMap<>();
        all.forEach((k, v) -> examples.put(k, List.copyOf(v.subList(0, Math.min(EXAMPLES, v.size())))));
        return examples;
    }

    private static void add(Map<String, List<String>> violations, String kind, String example) {
        violations.computeIfAbsent(kind, k -> new ArrayList<>()).add(example);
    }
}
