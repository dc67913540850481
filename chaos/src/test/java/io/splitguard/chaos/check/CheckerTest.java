package io.splitguard.chaos.check;

import static org.assertj.core.api.Assertions.assertThat;

import io.splitguard.chaos.workload.Op;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CheckerTest {

    private static final double SHARE = 0.5;

    private static Op op(String kind, String key, String session, String hash, String result) {
        int status =
                switch (result) {
                    case Op.OK -> 200;
                    case Op.FAIL -> 422;
                    default -> 503;
                };
        return new Op(1, "c", kind, key, session, hash, 0, 1, result, status, "", Op.OK.equals(result) ? hash : null);
    }

    /** A Genesys notification's delivery: route webhook.genesys, operation {@code topic}, answered {@code status}. */
    private static Op webhook(String kind, String key, String session, String hash, int status, String replayed) {
        String result = status / 100 == 2 ? Op.OK : status / 100 == 4 ? Op.FAIL : Op.INFO;
        return new Op(
                1,
                "w",
                kind,
                key,
                session,
                hash,
                0,
                1,
                result,
                status,
                replayed,
                Op.OK.equals(result) ? hash : null,
                Op.GENESYS_ROUTE,
                "topic-" + key);
    }

    /** A mutable copy of a history and an observation, which a scenario bends into one violation. */
    static final class Case {
        final List<Op> history = new ArrayList<>();
        final List<Observed.Row> rows = new ArrayList<>();
        final List<Observed.Applied> committed = new ArrayList<>();

        Case() {
            history.add(op(Op.WRITE, "k1", "s1", "h1", Op.OK));
            history.add(op(Op.WRITE, "k2", "s1", "h2", Op.OK));
            history.add(op(Op.WRITE, "k3", "s2", "h3", Op.INFO));
            history.add(op(Op.ONCE, "k4", "s2", "h4", Op.INFO));
            history.add(op(Op.CONFLICT, "k1", "s1", "h1x", Op.FAIL));
            history.add(op(Op.HOSTILE, "x1", "s2", "hx", Op.FAIL));
            history.add(op(Op.WRITE, "k5", "s2", "h5", Op.INFO));
            history.add(op(Op.WRITE, "k5", "s2", "h5", Op.OK));
            // a notification delivered by one region and retried by the other (a replayed answer), one whose
            // first delivery went unanswered, and one with a bad signature
            history.add(webhook(Op.WEBHOOK, "w1", "s1", "hw1", 200, ""));
            history.add(webhook(Op.WEBHOOK_RETRY, "w1", "s1", "hw1", 200, "true"));
            history.add(webhook(Op.WEBHOOK, "w2", "s3", "hw2", 0, ""));
            history.add(webhook(Op.WEBHOOK_RETRY, "w2", "s3", "hw2", 200, ""));
            history.add(webhook(Op.WEBHOOK_FORGED, "f1", "s2", "hf1", 401, ""));
            stored("k1", "s1", 1, "h1");
            stored("k2", "s1", 2, "h2");
            stored("k3", "s2", 1, "h3");
            stored("k5", "s2", 2, "h5");
            storedNotification("w1", "s1", 3, "hw1");
            storedNotification("w2", "s3", 1, "hw2");
        }

        /** A notification's row (its payload read back hashes as delivered) and its record. */
        void storedNotification(String key, String session, long sequence, String hash) {
            rows.add(new Observed.Row(key, session, 0, sequence, hash, 0, Op.GENESYS_ROUTE, "topic-" + key, hash));
            committed.add(new Observed.Applied(key, session, 0, sequence, hash, Op.GENESYS_ROUTE));
        }

        void replaceNotificationRow(String key, String operation, String storedPayloadHash) {
            Observed.Row row = rows.stream()
                    .filter(r -> r.key().equals(key) && r.route().equals(Op.GENESYS_ROUTE))
                    .findFirst()
                    .orElseThrow();
            rows.remove(row);
            rows.add(new Observed.Row(
                    row.key(),
                    row.session(),
                    row.epoch(),
                    row.sequence(),
                    row.payloadHash(),
                    0,
                    row.route(),
                    operation,
                    storedPayloadHash));
        }

        void stored(String key, String session, long sequence, String hash) {
            rows.add(new Observed.Row(key, session, 0, sequence, hash, 0));
            committed.add(new Observed.Applied(key, session, 0, sequence, hash));
        }

        void replaceRow(String key, String session, long sequence, String hash) {
            rows.removeIf(r -> r.key().equals(key));
            rows.add(new Observed.Row(key, session, 0, sequence, hash, 0));
        }

        void replaceCommitted(String key, String session, long sequence, String hash) {
            committed.removeIf(a -> a.key().equals(key));
            committed.add(new Observed.Applied(key, session, 0, sequence, hash));
        }

        CheckResult check() {
            return Checker.check(history, new Observed(rows, committed), SHARE);
        }
    }

    /** One purpose-built violation per rule. */
    static Map<String, Consumer<Case>> violations() {
        Map<String, Consumer<Case>> v = new LinkedHashMap<>();
        v.put("lost", c -> {
            c.rows.removeIf(r -> r.key().equals("k2"));
            c.committed.removeIf(a -> a.key().equals("k2"));
        });
        // the unique constraint is on the scoped key (tenant, route, session, key): the same key in
        // another session is a second row the database accepts
        v.put("key_in_several_rows", c -> c.rows.add(new Observed.Row("k1", "s2", 0, 3, "h1", 0)));
        v.put("phantom_rows", c -> c.rows.add(new Observed.Row("never-sent", "s3", 0, 1, "hz", 0)));
        v.put("phantom_on_topic", c -> c.committed.add(new Observed.Applied("never-sent", "s3", 0, 1, "hz")));
        v.put("row_in_wrong_session", c -> c.replaceRow("k2", "s2", 3, "h2"));
        v.put("topic_in_wrong_session", c -> c.replaceCommitted("k2", "s2", 3, "h2"));
        v.put("row_with_unsent_body", c -> c.replaceRow("k2", "s1", 2, "never-sent-body"));
        v.put("row_with_refused_body", c -> c.replaceRow("k1", "s1", 1, "h1x"));
        v.put("topic_with_unsent_body", c -> c.replaceCommitted("k2", "s1", 2, "never-sent-body"));
        v.put("topic_with_refused_body", c -> c.replaceCommitted("k1", "s1", 1, "h1x"));
        // sequences 1..n in both places, bodies fine, but the database swapped two sequences
        v.put("row_differs_from_topic", c -> {
            c.replaceRow("k1", "s1", 2, "h1");
            c.replaceRow("k2", "s1", 1, "h2");
        });
        v.put("applied_twice_on_topic", c -> c.committed.add(new Observed.Applied("k1", "s1", 0, 3, "h1")));
        v.put("committed_but_not_in_database", c -> c.rows.removeIf(r -> r.key().equals("k3")));
        v.put(
                "in_database_but_not_committed",
                c -> c.committed.removeIf(a -> a.key().equals("k3")));
        v.put("sequence_gap_database", c -> c.replaceRow("k5", "s2", 3, "h5"));
        v.put("sequence_gap_topic", c -> c.replaceCommitted("k5", "s2", 3, "h5"));
        // a replayed 200 for another body: the gateway acknowledged what it did not take
        v.put(
                "acknowledged_other_body",
                c -> c.history.add(new Op(9, "c", Op.CONFLICT, "k2", "s1", "h2x", 0, 1, Op.OK, 200, "true", "h2")));
        v.put("hostile_acknowledged", c -> c.history.add(op(Op.HOSTILE, "x2", "s1", "hy", Op.OK)));
        v.put("hostile_stored", c -> c.stored("x1", "s2", 3, "hx"));
        // the sink stored the envelope written to the pipeline (or anything else) instead of the notification
        v.put("webhook_payload_not_delivered", c -> c.replaceNotificationRow("w1", "topic-w1", "h-envelope"));
        v.put("webhook_operation_differs", c -> c.replaceNotificationRow("w2", "platform_event", "hw2"));
        v.put("forged_not_refused", c -> c.history.add(webhook(Op.WEBHOOK_FORGED, "f2", "s1", "hf2", 200, "")));
        v.put("forged_stored", c -> c.storedNotification("f1", "s2", 4, "hf1"));
        return v;
    }

    static Stream<Arguments> rules() {
        return violations().entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
    }

    @Test
    void shouldAcceptAConsistentOutcomeWithIndeterminateKeysPresentOrNot() {
        CheckResult result = new Case().check();

        assertThat(result.examples()).isEmpty();
        assertThat(result.harnessErrors()).isEmpty();
        assertThat(result.valid()).isTrue();
        assertThat(result.verdict()).isEqualTo("VALID");
        assertThat(result.counts())
                .containsEntry("keys_indeterminate", 2L)
                .containsEntry("keys_indeterminate_present", 1L)
                .containsEntry("keys_once_indeterminate", 1L)
                .containsEntry("keys_written", 4L)
                .containsEntry("keys_acknowledged", 5L)
                .containsEntry("acknowledged_body_not_stored", 0L)
                .containsEntry("webhook_keys", 2L)
                .containsEntry("webhook_keys_acknowledged", 2L)
                .containsEntry("webhook_keys_stored", 2L)
                .containsEntry("webhook_ops", 4L)
                .containsEntry("webhook_ops_ok", 3L)
                .containsEntry("webhook_retries_ok", 2L)
                .containsEntry("webhook_ok_replayed", 1L)
                .containsEntry("webhook_forged_sent", 1L)
                .containsEntry("webhook_forged_401", 1L);
        Checker.RULES.forEach(rule -> assertThat(result.counts()).containsEntry(rule, 0L));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rules")
    void shouldFlipValidForEachRule(String rule, Consumer<Case> violate) {
        Case c = new Case();
        violate.accept(c);

        CheckResult result = c.check();

        assertThat(result.counts().get(rule)).as(rule).isPositive();
        assertThat(result.examples()).containsKey(rule);
        assertThat(result.valid()).isFalse();
        assertThat(result.verdict()).isEqualTo("INVALID");
    }

    @Test
    void shouldHaveAViolationCaseForEveryRule() {
        assertThat(violations().keySet()).containsExactlyInAnyOrderElementsOf(Checker.RULES);
    }

    @Test
    void shouldReportARepeatedSequenceAsAGap() {
        Case c = new Case();
        c.replaceRow("k5", "s2", 1, "h5");
        c.replaceCommitted("k5", "s2", 1, "h5");

        CheckResult result = c.check();

        assertThat(result.counts()).containsEntry("sequence_gap_database", 1L).containsEntry("sequence_gap_topic", 1L);
        assertThat(result.valid()).isFalse();
    }

    @Test
    void shouldAcceptASessionThatRestartsAtOneInALaterEpoch() {
        // s2 was purged after its idle horizon; written again it starts over at 1 in a new epoch
        Case c = new Case();
        c.rows.removeIf(r -> r.key().equals("k5"));
        c.committed.removeIf(a -> a.key().equals("k5"));
        c.rows.add(new Observed.Row("k5", "s2", 7, 1, "h5", 0));
        c.committed.add(new Observed.Applied("k5", "s2", 7, 1, "h5"));

        CheckResult result = c.check();

        Checker.RULES.forEach(rule -> assertThat(result.counts()).containsEntry(rule, 0L));
        assertThat(result.examples()).isEmpty();
        assertThat(result.valid()).isTrue();
    }

    @Test
    void shouldReportARowWhoseEpochDiffersFromTheTopic() {
        Case c = new Case();
        c.rows.removeIf(r -> r.key().equals("k5"));
        c.committed.removeIf(a -> a.key().equals("k5"));
        c.rows.add(new Observed.Row("k5", "s2", 7, 1, "h5", 0));
        c.committed.add(new Observed.Applied("k5", "s2", 0, 2, "h5"));

        CheckResult result = c.check();

        assertThat(result.counts()).containsEntry("row_differs_from_topic", 1L);
        assertThat(result.valid()).isFalse();
    }

    @Test
    void shouldCountOperationsByKindAndResult() {
        CheckResult result = new Case().check();

        assertThat(result.operations().get(Op.WRITE))
                .containsEntry(Op.OK, 3L)
                .containsEntry(Op.INFO, 2L)
                .containsEntry(Op.FAIL, 0L);
        assertThat(result.operations().get(Op.CONFLICT)).containsEntry(Op.FAIL, 1L);
        assertThat(result.operations().get(Op.HOSTILE)).containsEntry(Op.FAIL, 1L);
        assertThat(result.operations().get(Op.ONCE)).containsEntry(Op.INFO, 1L);
        assertThat(result.operations().get(Op.REPLAY)).containsEntry(Op.OK, 0L);
        assertThat(result.operations().get(Op.WEBHOOK)).containsEntry(Op.OK, 1L).containsEntry(Op.INFO, 1L);
        assertThat(result.operations().get(Op.WEBHOOK_RETRY)).containsEntry(Op.OK, 2L);
        assertThat(result.operations().get(Op.WEBHOOK_FORGED)).containsEntry(Op.FAIL, 1L);
        assertThat(result.counts()).containsEntry("operations", 13L).containsEntry("ops_info", 4L);
    }

    @Test
    void shouldCountAnAcknowledgedBodyThatWasNotStoredWithoutFailingTheRun() {
        // a fresh 200 for a conflicting body (a lost race the gateway could not see): the client holds
        // an acknowledgement for a body the system did not keep
        Case c = new Case();
        c.history.add(op(Op.CONFLICT, "k2", "s1", "h2x", Op.OK));

        CheckResult result = c.check();

        assertThat(result.counts()).containsEntry("acknowledged_body_not_stored", 1L);
        assertThat(result.observations()).containsKey("acknowledged_body_not_stored");
        assertThat(result.valid()).isTrue();
    }

    @Test
    void shouldBeAHarnessErrorWhenNothingWasAcknowledged() {
        Case c = new Case();
        c.history.replaceAll(o -> op(o.kind(), o.key(), o.session(), o.payloadHash(), Op.INFO));

        CheckResult result = Checker.check(c.history, new Observed(List.of(), List.of()), 0.0);

        assertThat(result.examples()).isEmpty();
        assertThat(result.harnessErrors()).anySatisfy(e -> assertThat(e).contains("nothing was acknowledged"));
        assertThat(result.valid()).isFalse();
        assertThat(result.verdict()).isEqualTo("HARNESS ERROR");
    }

    @Test
    void shouldBeAHarnessErrorWhenTooFewWrittenKeysWereAcknowledged() {
        Case c = new Case();

        CheckResult result = Checker.check(c.history, new Observed(c.rows, c.committed), 0.8);

        assertThat(result.examples()).isEmpty();
        assertThat(result.harnessErrors()).singleElement().asString().contains("3 of 4 written keys");
        assertThat(result.valid()).isFalse();
    }

    @Test
    void shouldBeAHarnessErrorWhenTheObservationIsIncomplete() {
        Case c = new Case();

        CheckResult result = Checker.check(
                c.history, new Observed(c.rows, c.committed, List.of("drain did not settle within 3 minutes")), SHARE);

        assertThat(result.harnessErrors()).containsExactly("drain did not settle within 3 minutes");
        assertThat(result.valid()).isFalse();
        assertThat(result.verdict()).isEqualTo("HARNESS ERROR");
    }

    @Test
    void shouldAcceptACrmUpdateAndANotificationThatShareAKeyWhenBothAreStoredOnce() {
        // the product scopes keys by route: CRM key "k1" and a notification whose CorrelationId is "k1" are
        // two keys and two rows, not one key stored twice (a join by key alone counted it in several rows)
        Case c = new Case();
        c.history.add(webhook(Op.WEBHOOK, "k1", "s1", "hw-k1", 200, ""));
        c.storedNotification("k1", "s1", 4, "hw-k1");

        CheckResult result = c.check();

        assertThat(result.examples()).isEmpty();
        assertThat(result.valid()).isTrue();
        assertThat(result.counts()).containsEntry("webhook_keys_stored", 3L);
    }

    @Test
    void shouldReportALostCrmUpdateWhenANotificationWithItsKeyWasStored() {
        // a join by key alone would take the notification's row for the CRM update's and miss the loss
        Case c = new Case();
        c.history.add(webhook(Op.WEBHOOK, "k2", "s1", "hw-k2", 200, ""));
        c.rows.removeIf(r -> r.key().equals("k2"));
        c.committed.removeIf(a -> a.key().equals("k2"));
        c.storedNotification("k2", "s1", 2, "hw-k2");

        CheckResult result = c.check();

        assertThat(result.counts()).containsEntry("lost", 1L);
        assertThat(result.examples().get("lost")).containsExactly("k2");
        assertThat(result.valid()).isFalse();
    }

    @Test
    void shouldReportLostAndPhantomWhenANotificationIsStoredUnderTheCrmRoute() {
        Case c = new Case();
        c.rows.removeIf(r -> r.key().equals("w1"));
        c.rows.add(new Observed.Row("w1", "s1", 0, 3, "hw1", 0));

        CheckResult result = c.check();

        assertThat(result.counts()).containsEntry("lost", 1L).containsEntry("phantom_rows", 1L);
        assertThat(result.examples().get("lost")).containsExactly("webhook.genesys/w1");
        assertThat(result.valid()).isFalse();
    }

    @Test
    void shouldReportKeyInSeveralRowsWhenANotificationIsStoredAgainInAnotherSession() {
        Case c = new Case();
        c.rows.add(new Observed.Row("w1", "s2", 0, 3, "hw1", 0, Op.GENESYS_ROUTE, "topic-w1", "hw1"));

        CheckResult result = c.check();

        assertThat(result.counts().get("key_in_several_rows")).isPositive();
        assertThat(result.valid()).isFalse();
    }

    @Test
    void shouldNotBlameARefusedForgeryWhenTheGatewayRateLimitedOrDidNotAnswer() {
        Case c = new Case();
        c.history.add(webhook(Op.WEBHOOK_FORGED, "f2", "s1", "hf2", 429, ""));
        c.history.add(webhook(Op.WEBHOOK_FORGED, "f3", "s1", "hf3", 503, ""));
        c.history.add(webhook(Op.WEBHOOK_FORGED, "f4", "s1", "hf4", 0, ""));

        CheckResult result = c.check();

        assertThat(result.counts()).containsEntry("forged_not_refused", 0L);
        assertThat(result.valid()).isTrue();
    }

    @Test
    void shouldReportForgedNotRefusedWhenABadSignatureIsAnswered422() {
        Case c = new Case();
        c.history.add(webhook(Op.WEBHOOK_FORGED, "f2", "s1", "hf2", 422, ""));

        CheckResult result = c.check();

        assertThat(result.counts()).containsEntry("forged_not_refused", 1L);
        assertThat(result.valid()).isFalse();
    }

    @Test
    void shouldReportPayloadNotDeliveredWhenANotificationRowCannotBeReadBack() {
        Case c = new Case();
        c.replaceNotificationRow("w1", "topic-w1", null);

        CheckResult result = c.check();

        assertThat(result.counts()).containsEntry("webhook_payload_not_delivered", 1L);
        assertThat(result.valid()).isFalse();
    }

    @Test
    void shouldBeAHarnessErrorWhenNoNotificationWasAcknowledged() {
        Case c = new Case();
        c.history.replaceAll(o ->
                o.webhook() && !o.forged() ? webhook(o.kind(), o.key(), o.session(), o.payloadHash(), 503, "") : o);
        c.rows.removeIf(r -> r.route().equals(Op.GENESYS_ROUTE));
        c.committed.removeIf(a -> a.route().equals(Op.GENESYS_ROUTE));

        CheckResult result = c.check();

        assertThat(result.examples()).isEmpty();
        assertThat(result.harnessErrors()).singleElement().asString().contains("no platform notification");
        assertThat(result.valid()).isFalse();
        assertThat(result.verdict()).isEqualTo("HARNESS ERROR");
    }

    @Test
    void shouldBeAHarnessErrorWhenARunSentNoNotificationAtAll() {
        Case c = new Case();
        c.history.removeIf(Op::webhook);
        c.rows.removeIf(r -> r.route().equals(Op.GENESYS_ROUTE));
        c.committed.removeIf(a -> a.route().equals(Op.GENESYS_ROUTE));

        CheckResult result = c.check();

        assertThat(result.examples()).isEmpty();
        assertThat(result.harnessErrors())
                .anySatisfy(e -> assertThat(e).contains("no platform notification"))
                .anySatisfy(e -> assertThat(e).contains("bad signature"));
        assertThat(result.valid()).isFalse();
    }

    @Test
    void shouldBeAHarnessErrorWhenTooFewNotificationsWereAcknowledged() {
        Case c = new Case();
        c.history.add(webhook(Op.WEBHOOK, "w3", "s1", "hw3", 503, ""));
        c.history.add(webhook(Op.WEBHOOK, "w4", "s1", "hw4", 0, ""));

        CheckResult result = Checker.check(c.history, new Observed(c.rows, c.committed), 0.6);

        assertThat(result.examples()).isEmpty();
        assertThat(result.harnessErrors()).singleElement().asString().contains("2 of 4 platform notifications");
        assertThat(result.valid()).isFalse();
    }

    @Test
    void shouldBeAHarnessErrorWhenNoForgeryWasAnswered401() {
        Case c = new Case();
        c.history.removeIf(Op::forged);
        c.history.add(webhook(Op.WEBHOOK_FORGED, "f2", "s1", "hf2", 0, ""));

        CheckResult result = c.check();

        assertThat(result.examples()).isEmpty();
        assertThat(result.harnessErrors()).singleElement().asString().contains("bad signature");
        assertThat(result.valid()).isFalse();
    }
}
