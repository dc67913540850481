package io.splitguard.sink;

import static io.splitguard.sink.SinkTestKit.mutation;
import static io.splitguard.sink.SinkTestKit.sessionRun;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.model.AuditRecord;
import io.splitguard.schemas.model.SequencedMutation;
import io.splitguard.sink.config.SinkConfig;
import io.splitguard.sink.db.SinkMigrations;
import io.splitguard.testsupport.SharedInfra;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.ds.PGSimpleDataSource;

@ExtendWith(SharedInfra.class)
class PostgresSinkIT {

    private static final List<String> SESSIONS = List.of("sess-a", "sess-b", "sess-c");

    @Test
    void shouldWriteEveryCommittedMutationOnceAndNeverAnAbortedOne() throws Exception {
        try (SinkTestKit kit = new SinkTestKit("exactlyonce", env -> env.put(SinkConfig.ENV_BATCH_MAX_RECORDS, "25"))) {
            PostgresSink sink = kit.startSink();
            int perSession = 40;
            for (int chunk = 0; chunk < 4; chunk++) {
                List<SequencedMutation> tx = new ArrayList<>();
                for (String s : SESSIONS) {
                    tx.addAll(sessionRun(s, chunk * 10L + 1, chunk * 10L + 10));
                }
                kit.commit(tx);
            }
            // a zombie producer's transaction that never commits: same sessions, next sequence
            kit.abort(SESSIONS.stream()
                    .map(s -> mutation(s, perSession + 1, "aborted-" + s))
                    .toList());
            kit.commit(SESSIONS.stream()
                    .map(s -> mutation(s, perSession + 1, "final-" + s))
                    .toList());

            long expected = 3L * (perSession + 1);
            kit.awaitRows("crm_contact_updates", expected);
            SinkTestKit.awaitIdle(sink);

            assertThat(kit.count("SELECT count(*) FROM crm_contact_updates")).isEqualTo(expected);
            assertThat(kit.count("SELECT count(*) FROM idempotency_store")).isEqualTo(expected);
            assertThat(kit.count("SELECT count(*) FROM crm_contact_updates WHERE idempotency_key LIKE 'aborted-%'"))
                    .isZero();
            assertThat(kit.count("SELECT count(*) FROM crm_contact_updates WHERE idempotency_key LIKE 'final-%'"))
                    .isEqualTo(3);
            assertThat(kit.count("SELECT count(*) FROM sink_refusals")).isZero();
            assertThat(kit.query("SELECT session_id, last_sequence FROM session_sequences ORDER BY session_id"))
                    .containsExactly(List.of("sess-a", 41L), List.of("sess-b", 41L), List.of("sess-c", 41L));
            for (String s : SESSIONS) {
                assertThat(kit.count(
                                "SELECT count(DISTINCT sequence) FROM crm_contact_updates WHERE session_id = ?"
                                        + " AND sequence BETWEEN 1 AND 41",
                                s))
                        .isEqualTo(41);
            }
            assertThat(sink.meterRegistry().counter(SinkMetrics.WRITTEN).count())
                    .isEqualTo(expected);
            assertThat(sink.meterRegistry().counter(SinkMetrics.BATCHES).count())
                    .isGreaterThanOrEqualTo(1);

            List<List<Object>> row =
                    kit.query("SELECT contact_id, operation, payload::text, tenant, route FROM crm_contact_updates"
                            + " WHERE idempotency_key = 'sess-b-7'");
            assertThat(row).hasSize(1);
            assertThat(row.get(0).get(0)).isEqualTo("contact-sess-b");
            assertThat(row.get(0).get(1)).isEqualTo("update_disposition");
            assertThat(Json.mapper()
                            .readTree((String) row.get(0).get(2))
                            .path("disposition")
                            .asText())
                    .isEqualTo("resolved-sess-b-7");

            SequencedMutation sent = mutation("sess-b", 7, "sess-b-7");
            List<List<Object>> idem =
                    kit.query("SELECT status, response::text, expires_at - created_at = interval '7 days'"
                            + " FROM idempotency_store WHERE idempotency_key = 'sess-b-7'");
            JsonNode response = Json.mapper().readTree((String) idem.get(0).get(1));
            assertThat(idem.get(0).get(0)).isEqualTo("applied");
            assertThat(idem.get(0).get(2)).isEqualTo(true);
            assertThat(response.path("status").asText()).isEqualTo("accepted");
            assertThat(response.path("idempotency_key").asText()).isEqualTo("sess-b-7");
            assertThat(response.path("session_id").asText()).isEqualTo("sess-b");
            assertThat(response.path("payload_hash").asText()).isEqualTo(sent.payloadHash());
            assertThat(Instant.parse(response.path("received_at").asText())).isEqualTo(sent.receivedAt());

            List<List<Object>> offsets = kit.query(
                    "SELECT topic, next_offset FROM sink_offsets WHERE consumer_group = ?", kit.config.groupId());
            assertThat(offsets)
                    .isNotEmpty()
                    .allSatisfy(r -> assertThat(r.get(0)).isEqualTo(kit.catalog.mutations.name()))
                    .allSatisfy(r -> assertThat((Long) r.get(1)).isPositive());
        }
    }

    @Test
    void shouldRefuseAndAuditWritesWhenTheyAreNotNewerThanTheStoredState() {
        try (SinkTestKit kit = new SinkTestKit("fencing")) {
            PostgresSink sink = kit.startSink();
            kit.commit(sessionRun("sess-z", 1, 5));
            kit.awaitRows("crm_contact_updates", 5);
            List<List<Object>> before = kit.query(
                    "SELECT scoped_key, payload::text, written_at FROM crm_contact_updates ORDER BY sequence");

            // a zombie writer: an older sequence with a new key, then a replay of the latest sequence
            SequencedMutation stale = mutation("sess-z", 3, "zombie-3");
            SequencedMutation sameSequence = mutation("sess-z", 5, "zombie-5");
            kit.commit(List.of(stale, sameSequence));
            // a lease holder that lost its lease: newer sequence but an older fencing token
            kit.commit(List.of(mutation("sess-f", 1, "f-1", 9L, Instant.parse("2025-05-15T14:32:00Z"))));
            kit.commit(List.of(mutation("sess-f", 2, "f-2", 8L, Instant.parse("2025-05-15T14:32:01Z"))));
            kit.commit(List.of(mutation("sess-z", 6, "sess-z-6"), mutation("sess-f", 3, "f-3", 10L, Instant.now())));

            kit.awaitRows("crm_contact_updates", 8);
            await().atMost(Duration.ofSeconds(30))
                    .until(() ->
                            sink.meterRegistry().counter(SinkMetrics.REFUSED).count() == 3.0);
            SinkTestKit.awaitIdle(sink);

            assertThat(kit.count("SELECT count(*) FROM crm_contact_updates")).isEqualTo(8);
            assertThat(kit.count("SELECT count(*) FROM crm_contact_updates WHERE idempotency_key IN"
                            + " ('zombie-3', 'zombie-5', 'f-2')"))
                    .isZero();
            assertThat(kit.count("SELECT count(*) FROM idempotency_store WHERE idempotency_key IN"
                            + " ('zombie-3', 'zombie-5', 'f-2')"))
                    .isZero();
            assertThat(kit.query("SELECT scoped_key, payload::text, written_at FROM crm_contact_updates"
                            + " WHERE session_id = 'sess-z' AND sequence <= 5 ORDER BY sequence"))
                    .isEqualTo(before);
            assertThat(kit.query("SELECT session_id, sequence, stored_sequence, reason FROM sink_refusals"
                            + " ORDER BY session_id, sequence"))
                    .containsExactly(
                            List.of("sess-f", 2L, 1L, "stale_fencing_token"),
                            List.of("sess-z", 3L, 5L, "sequence_not_greater"),
                            List.of("sess-z", 5L, 5L, "sequence_not_greater"));
            assertThat(kit.query("SELECT session_id, last_sequence, last_fencing_token FROM session_sequences"
                            + " ORDER BY session_id"))
                    .containsExactly(List.of("sess-f", 3L, 10L), rowWithoutToken("sess-z", 6L));
            assertThat(kit.awaitAudit(3))
                    .allSatisfy(a -> assertThat(a.decision()).isEqualTo(AuditRecord.Decision.REFUSED))
                    .extracting(a -> a.sessionId() + "/" + a.sequence() + "/"
                            + a.detail().split(":")[0])
                    .containsExactlyInAnyOrder(
                            "sess-f/2/stale_fencing_token",
                            "sess-z/3/sequence_not_greater",
                            "sess-z/5/sequence_not_greater");
            assertThat(sink.meterRegistry()
                            .counter(SinkMetrics.REFUSED_DUPLICATES)
                            .count())
                    .isZero();
        }
    }

    @Test
    void shouldMirrorTheLatestCheckpointPerSessionAndAuditOlderOnesWhenTheTopologyWritesThem() {
        try (SinkTestKit kit = new SinkTestKit("checkpoints")) {
            PostgresSink sink = kit.startSink();
            Instant now = Instant.now();
            kit.commitRaw(List.of(
                    kit.checkpointRecord("chk-a", SinkTestKit.checkpoint("chk-a", 1, now, 3600)),
                    kit.checkpointRecord("chk-a", SinkTestKit.checkpoint("chk-a", 4, now.plusMillis(1), 3600)),
                    kit.checkpointRecord("chk-b", SinkTestKit.checkpoint("chk-b", 9, now, 3600)),
                    kit.checkpointRecord("chk-c", SinkTestKit.checkpoint("chk-c", 2, now, 3600))));
            // a lagging region's checkpoint (not newer), and the purge of chk-c
            kit.commitRaw(List.of(
                    kit.checkpointRecord("chk-a", SinkTestKit.checkpoint("chk-a", 3, now.plusMillis(2), 3600)),
                    kit.checkpointRecord("chk-c", null)));
            kit.commit(sessionRun("chk-a", 1, 2));

            kit.awaitRows("crm_contact_updates", 2);
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> sink.meterRegistry()
                                    .counter(SinkMetrics.CHECKPOINTS_PURGED)
                                    .count()
                            == 1.0);
            SinkTestKit.awaitIdle(sink);

            assertThat(kit.query("SELECT session_id, sequence, variables->>'last_menu', region FROM session_checkpoints"
                            + " ORDER BY session_id"))
                    .containsExactly(
                            List.of("chk-a", 4L, "billing-4", "us-east"), List.of("chk-b", 9L, "billing-9", "us-east"));
            assertThat(sink.meterRegistry()
                            .counter(SinkMetrics.CHECKPOINTS_WRITTEN)
                            .count())
                    .isEqualTo(4.0);
            assertThat(kit.awaitAudit(1))
                    .singleElement()
                    .satisfies(a -> assertThat(a.decision()).isEqualTo(AuditRecord.Decision.REFUSED))
                    .satisfies(a -> assertThat(a.sessionId()).isEqualTo("chk-a"))
                    .satisfies(a -> assertThat(a.sequence()).isEqualTo(3L))
                    .satisfies(a -> assertThat(a.detail()).startsWith("checkpoint_not_newer"));
        }
    }

    @Test
    void shouldRefuseRecordsAndAuditAKeyWhenItIsRedeliveredAfterTheDedupWindow() {
        try (SinkTestKit kit = new SinkTestKit("afterwindow")) {
            PostgresSink sink = kit.startSink();
            kit.commit(sessionRun("sess-w", 1, 3));
            kit.awaitRows("crm_contact_updates", 3);

            // the topology no longer remembers key sess-w-2 and forwards it again, with the next sequence
            SequencedMutation original = mutation("sess-w", 2, "sess-w-2");
            SequencedMutation again = resequenced(original, "req-again", 4);
            kit.commit(List.of(again, mutation("sess-w", 5, "sess-w-5")));

            kit.awaitRows("crm_contact_updates", 4);
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> sink.meterRegistry()
                                    .counter(SinkMetrics.REFUSED_DUPLICATES)
                                    .count()
                            == 1.0);
            SinkTestKit.awaitIdle(sink);

            assertThat(kit.query("SELECT sequence, request_id FROM crm_contact_updates ORDER BY sequence"))
                    .containsExactly(
                            List.of(1L, "req-sess-w-1"),
                            List.of(2L, "req-sess-w-2"),
                            List.of(3L, "req-sess-w-3"),
                            List.of(5L, "req-sess-w-5"));
            assertThat(kit.query("SELECT sequence, stored_sequence, reason, applied_sequence, request_id, payload_hash"
                            + " FROM sink_refusals"))
                    .containsExactly(List.of(4L, 3L, "duplicate_key", 2L, "req-again", original.payloadHash()));
            assertThat(kit.count("SELECT last_sequence FROM session_sequences WHERE session_id = 'sess-w'"))
                    .isEqualTo(5);
            assertThat(sink.meterRegistry().counter(SinkMetrics.REFUSED).count())
                    .isZero();

            List<AuditRecord> audit = kit.awaitAudit(1);
            assertThat(audit).singleElement().satisfies(a -> {
                assertThat(a.decision()).isEqualTo(AuditRecord.Decision.REFUSED);
                assertThat(a.sessionId()).isEqualTo("sess-w");
                assertThat(a.requestId()).isEqualTo("req-again");
                assertThat(a.scopedKey()).isEqualTo(original.scopedKey());
                assertThat(a.payloadHash()).isEqualTo(original.payloadHash());
                assertThat(a.sequence()).isEqualTo(4L);
                assertThat(a.detail())
                        .startsWith("duplicate_key:")
                        .contains("sequence 2")
                        .contains("same payload");
            });
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> kit.count("SELECT count(*) FROM sink_refusals WHERE audited_at IS NULL") == 0);
        }
    }

    @Test
    void shouldPublishRefusalsWhenAnEarlierInstanceLeftThemUnaudited() throws Exception {
        try (SinkTestKit kit = new SinkTestKit("outbox")) {
            PGSimpleDataSource ds = new PGSimpleDataSource();
            ds.setUrl(kit.jdbcUrl);
            ds.setUser(SharedInfra.postgres().user());
            ds.setPassword(SharedInfra.postgres().password());
            SinkMigrations.apply(ds);
            // what a sink that crashed between its commit and the audit publish leaves behind
            kit.execute("INSERT INTO sink_refusals (topic, partition, kafka_offset, session_id, scoped_key, sequence,"
                    + " stored_sequence, reason, request_id, payload_hash, applied_sequence, applied_payload_hash)"
                    + " VALUES ('t', 0, 7, 'sess-o', 'scoped-o', 9, 8, 'duplicate_key', 'req-o', 'sha256:b', 3,"
                    + " 'sha256:a')");

            kit.startSink();

            assertThat(kit.awaitAudit(1)).singleElement().satisfies(a -> {
                assertThat(a.decision()).isEqualTo(AuditRecord.Decision.REFUSED);
                assertThat(a.sessionId()).isEqualTo("sess-o");
                assertThat(a.scopedKey()).isEqualTo("scoped-o");
                assertThat(a.sequence()).isEqualTo(9L);
                assertThat(a.detail()).startsWith("duplicate_key:").contains("different payload");
            });
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> kit.count("SELECT count(*) FROM sink_refusals WHERE audited_at IS NULL") == 0);
        }
    }

    @Test
    void shouldReportAStoredOffsetInsteadOfSkippingAheadWhenRetentionAlreadyDeletedIt() throws Exception {
        try (SinkTestKit kit = new SinkTestKit("retention")) {
            TopicPartition p0 = new TopicPartition(kit.catalog.mutations.name(), 0);
            kit.commitRaw(sessionRun("sess-t", 1, 3).stream()
                    .map(m -> kit.rawTo(0, m))
                    .toList());
            PostgresSink first = kit.startSink();
            kit.awaitRows("crm_contact_updates", 3);
            SinkTestKit.awaitIdle(first);
            first.close();
            long stored = kit.count("SELECT next_offset FROM sink_offsets WHERE partition = 0");
            assertThat(stored).isEqualTo(3);

            // more records arrive while no sink runs, and retention deletes some the sink never read
            kit.commitRaw(sessionRun("sess-t", 4, 6).stream()
                    .map(m -> kit.rawTo(0, m))
                    .toList());
            try (Admin admin = kit.admin()) {
                admin.deleteRecords(Map.of(p0, RecordsToDelete.beforeOffset(stored + 2)))
                        .all()
                        .get(30, TimeUnit.SECONDS);
            }

            PostgresSink second = kit.startSink();
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> second.meterRegistry()
                                    .counter(SinkMetrics.OFFSETS_LOST)
                                    .count()
                            == 1.0);
            assertThat(second.blockedPartitions()).containsExactly(p0);
            assertThat(second.meterRegistry().get(SinkMetrics.BLOCKED).gauge().value())
                    .isEqualTo(1.0);

            // the other partitions keep going
            kit.commitRaw(List.of(kit.rawTo(1, mutation("sess-u", 1, "sess-u-1"))));
            kit.awaitRows("crm_contact_updates", 4);
            assertThat(kit.count("SELECT count(*) FROM crm_contact_updates WHERE session_id = 'sess-t'"))
                    .isEqualTo(3);
            assertThat(kit.count("SELECT next_offset FROM sink_offsets WHERE partition = 0"))
                    .isEqualTo(stored);
            assertThat(second.isRunning()).isTrue();
        }
    }

    @Test
    void shouldStartReadingOnceTheStoredOffsetsCanBeReadWhenAnAssignmentFailedToSeek() {
        try (SinkTestKit kit = new SinkTestKit("noseek", env -> env.put(SinkConfig.ENV_RETRY_BACKOFF_MAX, "300"))) {
            PGSimpleDataSource ds = new PGSimpleDataSource();
            ds.setUrl(kit.jdbcUrl);
            ds.setUser(SharedInfra.postgres().user());
            ds.setPassword(SharedInfra.postgres().password());
            SinkMigrations.apply(ds);
            kit.commit(sessionRun("sess-n", 1, 4));
            // the stored offsets cannot be read when the partitions are assigned: no position to fetch from
            kit.execute("ALTER TABLE sink_offsets RENAME TO sink_offsets_parked");
            PostgresSink sink = kit.startSink();
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> !sink.assignment().isEmpty());
            assertThat(kit.count("SELECT count(*) FROM crm_contact_updates")).isZero();

            kit.execute("ALTER TABLE sink_offsets_parked RENAME TO sink_offsets");
            kit.awaitRows("crm_contact_updates", 4);
            SinkTestKit.awaitIdle(sink);

            assertThat(kit.count("SELECT count(*) FROM crm_contact_updates")).isEqualTo(4);
            assertThat(kit.count("SELECT count(*) FROM sink_refusals")).isZero();
            assertThat(sink.blockedPartitions()).isEmpty();
            assertThat(sink.isRunning()).isTrue();
        }
    }

    private static SequencedMutation resequenced(SequencedMutation m, String requestId, long sequence) {
        return new SequencedMutation(
                requestId,
                m.tenant(),
                m.route(),
                m.sessionId(),
                m.idempotencyKey(),
                m.scopedKey(),
                m.payloadHash(),
                sequence,
                m.fencingToken(),
                m.receivedAt(),
                m.appliedAt(),
                m.body());
    }

    private static List<Object> rowWithoutToken(String session, long sequence) {
        List<Object> row = new ArrayList<>();
        row.add(session);
        row.add(sequence);
        row.add(null);
        return row;
    }

    @Test
    void shouldResumeExactlyOnceFromTheDatabaseOffsetsWhenRestartedAfterACrash() {
        try (SinkTestKit kit = new SinkTestKit("crash", env -> env.put(SinkConfig.ENV_BATCH_MAX_RECORDS, "10"))) {
            int firstWave = 200;
            for (int chunk = 0; chunk < firstWave / 20; chunk++) {
                List<SequencedMutation> tx = new ArrayList<>();
                for (String s : SESSIONS) {
                    tx.addAll(sessionRun(s, chunk * 20L + 1, chunk * 20L + 20));
                }
                kit.commit(tx);
            }
            PostgresSink first = kit.startSink();
            kit.awaitRows("crm_contact_updates", 150);
            first.haltWithoutCleanup();
            long atCrash = kit.count("SELECT count(*) FROM crm_contact_updates");
            assertThat(atCrash).isLessThan(3L * firstWave);

            List<SequencedMutation> secondWave = new ArrayList<>();
            for (String s : SESSIONS) {
                secondWave.addAll(sessionRun(s, firstWave + 1, firstWave + 50));
            }
            kit.commit(secondWave);

            PostgresSink second = kit.startSink();
            long expected = 3L * (firstWave + 50);
            kit.awaitRows("crm_contact_updates", expected);
            SinkTestKit.awaitIdle(second);

            assertThat(kit.count("SELECT count(*) FROM crm_contact_updates")).isEqualTo(expected);
            assertThat(kit.count("SELECT count(*) FROM idempotency_store")).isEqualTo(expected);
            // the new instance read from the stored offsets: nothing was read twice, so nothing was refused
            assertThat(kit.count("SELECT count(*) FROM sink_refusals")).isZero();
            assertThat(second.meterRegistry().counter(SinkMetrics.WRITTEN).count())
                    .isEqualTo((double) (expected - atCrash));
            Map<Object, Object> maxima = kit
                    .query("SELECT session_id, count(DISTINCT sequence), max(sequence) FROM crm_contact_updates"
                            + " GROUP BY session_id")
                    .stream()
                    .collect(Collectors.toMap(r -> r.get(0), r -> List.of(r.get(1), r.get(2))));
            assertThat(maxima)
                    .containsOnlyKeys("sess-a", "sess-b", "sess-c")
                    .allSatisfy((session, stats) -> assertThat(stats).isEqualTo(List.of(250L, 250L)));
        }
    }

    @Test
    void shouldRollBackTheWholeBatchAndRereadUntilItSucceedsWhenTheDatabaseFails() {
        try (SinkTestKit kit = new SinkTestKit("dbfailure", env -> env.put(SinkConfig.ENV_RETRY_BACKOFF_MAX, "200"))) {
            PostgresSink sink = kit.startSink();
            kit.commit(sessionRun("sess-d", 1, 5));
            kit.awaitRows("crm_contact_updates", 5);

            // every batch now fails half-way: the contact rows go in, the idempotency rows cannot
            kit.execute("ALTER TABLE idempotency_store RENAME TO idempotency_store_parked");
            kit.commit(sessionRun("sess-d", 6, 15));
            await().atMost(Duration.ofSeconds(30))
                    .until(() ->
                            sink.meterRegistry().counter(SinkMetrics.FAILURES).count() >= 3);
            assertThat(kit.count("SELECT count(*) FROM crm_contact_updates")).isEqualTo(5);
            assertThat(kit.count("SELECT last_sequence FROM session_sequences")).isEqualTo(5);

            kit.execute("ALTER TABLE idempotency_store_parked RENAME TO idempotency_store");
            kit.awaitRows("crm_contact_updates", 15);
            SinkTestKit.awaitIdle(sink);

            assertThat(kit.count("SELECT count(*) FROM crm_contact_updates")).isEqualTo(15);
            assertThat(kit.count("SELECT count(*) FROM idempotency_store")).isEqualTo(15);
            assertThat(kit.count("SELECT count(*) FROM sink_refusals")).isZero();
            assertThat(kit.count("SELECT count(*) FROM sink_dead_letters")).isZero();
            assertThat(kit.count("SELECT last_sequence FROM session_sequences")).isEqualTo(15);
            assertThat(sink.isRunning()).isTrue();
        }
    }

    @Test
    void shouldDeadLetterPoisonAndDatabaseRejectedRecordsAndKeepGoing() {
        try (SinkTestKit kit = new SinkTestKit("poison")) {
            PostgresSink sink = kit.startSink();
            byte[] garbage = "{definitely not json".getBytes(StandardCharsets.UTF_8);
            byte[] invalid = "{\"request_id\":\"only\"}".getBytes(StandardCharsets.UTF_8);
            SequencedMutation nul = mutation("sess-p", 3, "nul-3");
            ((com.fasterxml.jackson.databind.node.ObjectNode) nul.body().get("payload")).put("note", "a\u0000b");
            kit.commitRaw(List.of(
                    kit.raw("sess-p", kit.bytes(mutation("sess-p", 1, "p-1"))),
                    kit.raw("sess-p", garbage),
                    kit.raw("sess-p", invalid),
                    kit.raw("sess-p", kit.bytes(mutation("sess-p", 2, "p-2"))),
                    kit.raw("sess-p", kit.bytes(nul)),
                    kit.raw("sess-p", kit.bytes(mutation("sess-p", 4, "p-4")))));

            kit.awaitRows("crm_contact_updates", 3);
            kit.awaitRows("sink_dead_letters", 3);
            SinkTestKit.awaitIdle(sink);

            assertThat(kit.query("SELECT idempotency_key FROM crm_contact_updates ORDER BY sequence"))
                    .containsExactly(List.of("p-1"), List.of("p-2"), List.of("p-4"));
            List<List<Object>> dead = kit.query(
                    "SELECT kafka_offset, raw_value, error, record_key FROM sink_dead_letters ORDER BY kafka_offset");
            assertThat(dead).hasSize(3);
            assertThat(dead.get(0).get(1)).isEqualTo(garbage);
            assertThat((String) dead.get(0).get(2)).contains("malformed JSON");
            assertThat(dead.get(0).get(3)).isEqualTo("sess-p".getBytes(StandardCharsets.UTF_8));
            assertThat(dead.get(1).get(1)).isEqualTo(invalid);
            assertThat((String) dead.get(2).get(2)).contains("rejected by the database");
            assertThat(kit.count("SELECT last_sequence FROM session_sequences WHERE session_id = 'sess-p'"))
                    .isEqualTo(4);
            assertThat(sink.meterRegistry().counter(SinkMetrics.DEAD_LETTERS).count())
                    .isEqualTo(3.0);
            assertThat(sink.isRunning()).isTrue();
        }
    }

    @Test
    void shouldRemoveOnlyExpiredIdempotencyRowsWhenPruning() throws Exception {
        try (SinkTestKit kit = new SinkTestKit("prune", env -> {
            env.put(SinkConfig.ENV_IDEMPOTENCY_RETENTION, "P7D");
            env.put(SinkConfig.ENV_PRUNE_BATCH_SIZE, "1");
        })) {
            PostgresSink sink = kit.startSink();
            Instant now = Instant.parse("2025-06-01T12:00:00Z");
            kit.commit(List.of(
                    mutation("sess-r", 1, "old-1", null, now.minus(Duration.ofDays(9))),
                    mutation("sess-r", 2, "old-2", null, now.minus(Duration.ofDays(8))),
                    mutation("sess-r", 3, "edge-3", null, now.minus(Duration.ofDays(7))),
                    mutation("sess-r", 4, "young-4", null, now.minus(Duration.ofDays(6))),
                    mutation("sess-r", 5, "new-5", null, now)));
            kit.awaitRows("idempotency_store", 5);

            assertThat(sink.pruneExpired(now)).isEqualTo(3);

            assertThat(kit.query("SELECT idempotency_key FROM idempotency_store ORDER BY sequence"))
                    .containsExactly(List.of("young-4"), List.of("new-5"));
            assertThat(kit.count("SELECT count(*) FROM crm_contact_updates")).isEqualTo(5);
            assertThat(sink.pruneExpired(now)).isZero();
            assertThat(sink.meterRegistry().counter(SinkMetrics.PRUNED).count()).isEqualTo(3.0);
        }
    }

    @Test
    void shouldRunThePruneJobOnItsSchedule() {
        try (SinkTestKit kit = new SinkTestKit("prunejob", env -> env.put(SinkConfig.ENV_PRUNE_INTERVAL, "200"))) {
            kit.startSink();
            kit.commit(List.of(
                    mutation("sess-j", 1, "ancient-1", null, Instant.now().minus(Duration.ofDays(30))),
                    mutation("sess-j", 2, "fresh-2", null, Instant.now())));
            kit.awaitRows("crm_contact_updates", 2);

            await().atMost(Duration.ofSeconds(30))
                    .until(() -> kit.count("SELECT count(*) FROM idempotency_store") == 1);
            assertThat(kit.query("SELECT idempotency_key FROM idempotency_store"))
                    .containsExactly(List.of("fresh-2"));
        }
    }
}
