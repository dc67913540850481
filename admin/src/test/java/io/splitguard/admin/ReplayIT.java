package io.splitguard.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.splitguard.schemas.model.IdempotencyKeys;
import io.splitguard.testsupport.SharedInfra;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The database is replayable from the topics: a workload with duplicates, every kind of refusal,
 * poison and database-rejected records and an aborted transaction, written by the real sink, is
 * rebuilt by {@code replay --into-schema} into identical tables, {@code replay --verify} agrees, and a
 * tampered live database is reported with its keys and a non-zero exit.
 */
@ExtendWith(SharedInfra.class)
class ReplayIT {

    /** The columns of each business table that the topics determine, and the table's key. */
    private static final Map<String, String> TABLES = Map.of(
            "crm_contact_updates",
            "scoped_key, idempotency_key, request_id, tenant, route, session_id, contact_id, operation,"
                    + " payload::text, payload_hash, session_epoch, sequence, fencing_token, received_at, applied_at"
                    + " ORDER BY scoped_key",
            "idempotency_store",
            "scoped_key, idempotency_key, tenant, route, session_id, payload_hash, status, response::text, sequence,"
                    + " created_at, expires_at ORDER BY scoped_key",
            "session_sequences",
            "session_id, session_epoch, last_sequence, last_fencing_token ORDER BY session_id",
            "sink_refusals",
            "topic, partition, kafka_offset, session_id, scoped_key, reason, session_epoch, sequence, fencing_token,"
                    + " stored_session_epoch, stored_sequence, stored_fencing_token, request_id, payload_hash,"
                    + " applied_sequence, applied_payload_hash ORDER BY topic, partition, kafka_offset",
            "sink_dead_letters",
            "topic, partition, kafka_offset, encode(record_key, 'hex'), encode(raw_value, 'hex') ORDER BY topic, partition, kafka_offset",
            "sink_offsets",
            "consumer_group, topic, partition, next_offset ORDER BY consumer_group, topic, partition");

    @Test
    void shouldRebuildTheSinksTablesFromTheTopicsAndReportATamperedDatabase() {
        try (AdminTestKit kit = new AdminTestKit("replay")) {
            writeWorkload(kit);
            kit.startSink();
            kit.awaitSink(8, 4, 2);

            AdminTestKit.Run rebuilt = kit.run("replay", "--into-schema", "fresh");

            assertThat(rebuilt.exitCode()).as(rebuilt.err()).isZero();
            assertThat(rebuilt.out()).contains("replayed 14 record(s): 8 written, 4 refused, 2 dead-lettered");
            for (Map.Entry<String, String> table : TABLES.entrySet()) {
                List<List<Object>> live = kit.query("SELECT "
                        + table.getValue().replace(" ORDER BY", " FROM public." + table.getKey() + " ORDER BY"));
                List<List<Object>> replayed = kit.query("SELECT "
                        + table.getValue().replace(" ORDER BY", " FROM fresh." + table.getKey() + " ORDER BY"));
                assertThat(live).as(table.getKey()).isNotEmpty();
                assertThat(replayed).as(table.getKey()).isEqualTo(live);
            }
            assertThat(kit.query("SELECT reason FROM fresh.sink_refusals ORDER BY reason"))
                    .extracting(row -> row.get(0))
                    .containsExactly(
                            "duplicate_key", "sequence_not_greater", "sequence_not_greater", "stale_fencing_token");
            assertThat(kit.count("SELECT count(*) FROM fresh.crm_contact_updates WHERE idempotency_key = 'a4'"))
                    .as("the aborted transaction")
                    .isZero();

            AdminTestKit.Run again = kit.run("replay", "--into-schema", "fresh");
            assertThat(again.exitCode()).isEqualTo(1);
            assertThat(again.err()).contains("schema fresh is not empty");

            AdminTestKit.Run verified = kit.run("replay", "--verify");
            assertThat(verified.exitCode()).as(verified.out() + verified.err()).isZero();
            assertThat(verified.out()).contains("no differences");
            assertThat(kit.count("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'splitguard_verify_%'"))
                    .as("temporary schema dropped")
                    .isZero();

            String tampered = IdempotencyKeys.scoped(AdminTestKit.TENANT, AdminTestKit.ROUTE, "s-alpha", "a2");
            kit.execute("UPDATE crm_contact_updates SET payload = '{\"disposition\":\"forged\"}' WHERE scoped_key = '"
                    + tampered + "'");
            kit.execute("DELETE FROM sink_refusals WHERE reason = 'stale_fencing_token'");
            kit.execute("DELETE FROM session_sequences WHERE session_id IN ('s-beta', 's-old')");
            AdminTestKit.Run caught = kit.run("replay", "--verify");

            assertThat(caught.exitCode()).as(caught.err()).isEqualTo(1);
            assertThat(caught.out())
                    .contains("3 difference(s)")
                    .contains("session_sequences: missing in live session_id=s-beta")
                    // idle past the sink's horizon: the live prune job may have deleted it
                    .doesNotContain("s-old")
                    .contains("crm_contact_updates: different scoped_key=" + tampered + ": payload live")
                    .contains("forged")
                    .contains("sink_refusals: missing in live topic=" + kit.catalog.mutations.name());
            assertThat(kit.count("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'splitguard_verify_%'"))
                    .isZero();
        }
    }

    @Test
    void shouldRefuseToReplayWithoutADatabaseSchemaItCanWriteSafely() {
        try (AdminTestKit kit = new AdminTestKit("replay-refusals")) {
            kit.execute("CREATE SCHEMA busy");
            kit.execute("CREATE TABLE busy.something (id int)");

            AdminTestKit.Run busy = kit.run("replay", "--into-schema", "busy");
            AdminTestKit.Run badName = kit.run("replay", "--into-schema", "Bad;Name");

            assertThat(busy.exitCode()).isEqualTo(1);
            assertThat(busy.err()).contains("not empty");
            assertThat(kit.count("SELECT count(*) FROM pg_tables WHERE schemaname = 'busy'"))
                    .isEqualTo(1);
            assertThat(badName.exitCode()).isEqualTo(3);
            assertThat(badName.err()).contains("lower-case identifier");
        }
    }

    @Test
    void shouldLetASinkPointedAtTheRebuiltSchemaContinueFromWhereTheReplayStopped() {
        try (AdminTestKit kit = new AdminTestKit("replay-switch")) {
            kit.commit(List.of(
                    kit.record(AdminTestKit.mutation("s-alpha", 1, "a1", null)),
                    kit.record(AdminTestKit.mutation("s-alpha", 2, "a2", null))));

            AdminTestKit.Run rebuilt = kit.run("replay", "--into-schema", "rebuilt");
            assertThat(rebuilt.exitCode()).as(rebuilt.err()).isZero();
            kit.commit(List.of(kit.record(AdminTestKit.mutation("s-alpha", 3, "a3", null))));
            kit.startSink(
                    Map.of("DATABASE_URL", kit.jdbcUrl + "?currentSchema=rebuilt", "SPLITGUARD_SINK_MIGRATE", "true"));

            // one session, one partition: a record read again would be refused no later than a3 is written
            org.awaitility.Awaitility.await()
                    .atMost(java.time.Duration.ofSeconds(60))
                    .until(() -> kit.count("SELECT count(*) FROM rebuilt.crm_contact_updates") == 3);
            assertThat(kit.count("SELECT count(*) FROM rebuilt.sink_refusals")).isZero();
            assertThat(kit.query("SELECT sequence FROM rebuilt.crm_contact_updates WHERE session_id = 's-alpha'"
                            + " ORDER BY sequence"))
                    .extracting(row -> ((Number) row.get(0)).longValue())
                    .containsExactly(1L, 2L, 3L);
            assertThat(kit.count("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"))
                    .as("the sink wrote only into the rebuilt schema")
                    .isZero();
        }
    }

    /**
     * Sessions on several partitions; a key that comes back with a new sequence (duplicate_key), a
     * stale sequence and an older epoch (sequence_not_greater), an older fencing token
     * (stale_fencing_token), an unreadable value and a value PostgreSQL refuses (dead letters), and an
     * aborted transaction.
     */
    private static void writeWorkload(AdminTestKit kit) {
        List<ProducerRecord<byte[], byte[]>> first = new ArrayList<>();
        for (long seq = 1; seq <= 3; seq++) {
            first.add(kit.record(AdminTestKit.mutation("s-alpha", seq, "a" + seq, null)));
        }
        first.add(kit.record(AdminTestKit.mutation("s-beta", 1, "b1", 5L)));
        first.add(kit.record(AdminTestKit.mutation("s-beta", 2, "b2", 5L)));
        kit.commit(first);

        kit.abort(List.of(kit.record(AdminTestKit.mutation("s-alpha", 4, "a4", null))));

        List<ProducerRecord<byte[], byte[]>> second = new ArrayList<>();
        second.add(kit.record(AdminTestKit.mutation("s-alpha", 4, "a1", null)));
        second.add(kit.record(AdminTestKit.mutation("s-alpha", 3, "a-stale", null)));
        second.add(kit.record(AdminTestKit.mutation("s-beta", 3, "b3", 4L)));
        second.add(kit.record(AdminTestKit.mutation("s-beta", 4, "b4", 6L)));
        second.add(kit.raw(kit.catalog.mutations.name(), "s-gamma", "not json"));
        second.add(kit.record(AdminTestKit.mutation("s-gamma", 0L, 1, "g1", null, "nul \u0000 inside")));
        second.add(kit.record(AdminTestKit.mutation("s-delta", 1_700_000_000_000L, 1, "d1", null, "new epoch")));
        second.add(kit.record(AdminTestKit.mutation("s-delta", 0L, 5, "d-old", null, "old epoch")));
        // a session last written ten days ago: its idempotency row has expired, its mark is idle
        second.add(kit.record(AdminTestKit.mutation(
                "s-old", 0L, 1, "o1", null, "long ago", Instant.now().minus(Duration.ofDays(10)))));
        kit.commit(second);
    }
}
