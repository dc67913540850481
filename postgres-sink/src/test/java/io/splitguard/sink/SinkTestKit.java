package io.splitguard.sink;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.json.PayloadHash;
import io.splitguard.schemas.model.AuditRecord;
import io.splitguard.schemas.model.IdempotencyKeys;
import io.splitguard.schemas.model.SequencedMutation;
import io.splitguard.schemas.model.StoredCheckpoint;
import io.splitguard.schemas.topics.TopicBootstrap;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.sink.config.SinkConfig;
import io.splitguard.testsupport.SharedInfra;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * One isolated world per test: its own topic prefix, database and consumer group on the shared
 * broker and PostgreSQL, plus a transactional producer standing in for the exactly-once topology.
 */
final class SinkTestKit implements AutoCloseable {

    static final String TENANT = "acme";
    static final String ROUTE = "crm.contact.update";

    final String name;
    final TopicCatalog catalog;
    final String jdbcUrl;
    final SinkConfig config;
    private final KafkaProducer<byte[], byte[]> producer;
    private final List<PostgresSink> sinks = new ArrayList<>();

    /** @param tweak changes the sink's environment-style settings before the sink is configured */
    SinkTestKit(String hint, Consumer<Map<String, String>> tweak) {
        this.name = SharedInfra.uniqueName(hint);
        this.catalog =
                TopicCatalog.builder().prefix(name + ".").sessionPartitions(3).build();
        String bootstrap = SharedInfra.kafka().bootstrapServers();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            // a just-created topic can take a moment to show up in the broker's metadata
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
                TopicBootstrap.ensure(admin, catalog, 10_000);
                return true;
            });
        }
        this.jdbcUrl = SharedInfra.postgres().createDatabase(name);
        Map<String, String> env = new HashMap<>(Map.of(
                SinkConfig.ENV_BOOTSTRAP_SERVERS,
                bootstrap,
                SinkConfig.ENV_GROUP_ID,
                name + "-sink",
                SinkConfig.ENV_DATABASE_URL,
                jdbcUrl,
                SinkConfig.ENV_DATABASE_USER,
                SharedInfra.postgres().user(),
                SinkConfig.ENV_DATABASE_PASSWORD,
                SharedInfra.postgres().password(),
                SinkConfig.ENV_POLL_TIMEOUT,
                "PT0.1S",
                SinkConfig.ENV_RETRY_BACKOFF_MAX,
                "PT1S",
                SinkConfig.ENV_PRUNE_INTERVAL,
                "0",
                SinkConfig.ENV_CONSUMER_PREFIX + "SESSION_TIMEOUT_MS",
                "6000",
                SinkConfig.ENV_CONSUMER_PREFIX + "HEARTBEAT_INTERVAL_MS",
                "500"));
        tweak.accept(env);
        this.config = SinkConfig.fromMap(env);

        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, name + "-tx");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        this.producer = new KafkaProducer<>(p);
        producer.initTransactions();
    }

    SinkTestKit(String hint) {
        this(hint, b -> {});
    }

    PostgresSink startSink() {
        return startSink(new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
    }

    PostgresSink startSink(io.micrometer.core.instrument.MeterRegistry registry) {
        PostgresSink sink = new PostgresSink(config, catalog, registry);
        sinks.add(sink);
        sink.start();
        return sink;
    }

    static SequencedMutation mutation(String session, long sequence, String key) {
        return mutation(session, sequence, key, null, Instant.parse("2025-05-15T14:32:00Z"));
    }

    static SequencedMutation mutation(String session, long sequence, String key, Long token, Instant receivedAt) {
        ObjectNode body = Json.mapper().createObjectNode();
        body.put("session_id", session);
        body.put("contact_id", "contact-" + session);
        body.put("operation", "update_disposition");
        body.putObject("payload").put("disposition", "resolved-" + key).put("attempt", sequence);
        return new SequencedMutation(
                "req-" + key,
                TENANT,
                ROUTE,
                session,
                key,
                IdempotencyKeys.scoped(TENANT, ROUTE, session, key),
                PayloadHash.of(body),
                sequence,
                token,
                receivedAt,
                receivedAt.plusMillis(5),
                body);
    }

    /** The sequences 1..n of a session, keys {@code <session>-<seq>}. */
    static List<SequencedMutation> sessionRun(String session, long from, long to) {
        List<SequencedMutation> list = new ArrayList<>();
        for (long seq = from; seq <= to; seq++) {
            list.add(mutation(session, seq, session + "-" + seq));
        }
        return list;
    }

    byte[] bytes(SequencedMutation m) {
        return catalog.mutations.valueSerde().serializer().serialize(catalog.mutations.name(), m);
    }

    void commit(List<SequencedMutation> mutations) {
        send(mutations.stream().map(m -> raw(m.sessionId(), bytes(m))).toList(), true);
    }

    void abort(List<SequencedMutation> mutations) {
        send(mutations.stream().map(m -> raw(m.sessionId(), bytes(m))).toList(), false);
    }

    void commitRaw(List<ProducerRecord<byte[], byte[]>> records) {
        send(records, true);
    }

    /** A mutation record sent to a given partition (whatever the key hashes to). */
    ProducerRecord<byte[], byte[]> rawTo(int partition, SequencedMutation m) {
        return new ProducerRecord<>(
                catalog.mutations.name(), partition, m.sessionId().getBytes(StandardCharsets.UTF_8), bytes(m));
    }

    /** A checkpoint record as the checkpoint topology writes it; {@code null} is the purge (tombstone). */
    ProducerRecord<byte[], byte[]> checkpointRecord(String session, StoredCheckpoint checkpoint) {
        byte[] value = checkpoint == null
                ? null
                : catalog.checkpoints.valueSerde().serializer().serialize(catalog.checkpoints.name(), checkpoint);
        return new ProducerRecord<>(catalog.checkpoints.name(), session.getBytes(StandardCharsets.UTF_8), value);
    }

    static StoredCheckpoint checkpoint(String session, long sequence, Instant storedAt, int ttlSeconds) {
        ObjectNode variables = Json.mapper().createObjectNode();
        variables.put("last_menu", "billing-" + sequence);
        variables.put("retry_count", sequence);
        return new StoredCheckpoint(
                session,
                "us-east",
                "chk_" + sequence,
                sequence,
                1,
                "v1",
                variables,
                ttlSeconds,
                "req-chk-" + session + "-" + sequence,
                storedAt,
                storedAt,
                storedAt.plusSeconds(ttlSeconds),
                0,
                sequence);
    }

    Admin admin() {
        return Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfra.kafka().bootstrapServers()));
    }

    /** Waits until the audit topic holds at least {@code expected} records; returns all of them. */
    List<AuditRecord> awaitAudit(int expected) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfra.kafka().bootstrapServers());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        List<AuditRecord> seen = new ArrayList<>();
        try (KafkaConsumer<String, AuditRecord> consumer = new KafkaConsumer<>(
                p,
                catalog.audit.keySerde().deserializer(),
                catalog.audit.valueSerde().deserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (int i = 0; i < catalog.sessionPartitions(); i++) {
                partitions.add(new TopicPartition(catalog.audit.name(), i));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> seen.add(r.value()));
                return seen.size() >= expected;
            });
        }
        return seen;
    }

    ProducerRecord<byte[], byte[]> raw(String session, byte[] value) {
        return new ProducerRecord<>(catalog.mutations.name(), session.getBytes(StandardCharsets.UTF_8), value);
    }

    private void send(List<ProducerRecord<byte[], byte[]>> records, boolean commit) {
        producer.beginTransaction();
        records.forEach(producer::send);
        if (commit) {
            producer.commitTransaction();
        } else {
            producer.flush();
            producer.abortTransaction();
        }
    }

    Connection connect() throws SQLException {
        return DriverManager.getConnection(
                jdbcUrl, SharedInfra.postgres().user(), SharedInfra.postgres().password());
    }

    long count(String sql, Object... args) {
        return query(sql, args).stream()
                .mapToLong(row -> ((Number) row.get(0)).longValue())
                .sum();
    }

    List<List<Object>> query(String sql, Object... args) {
        try (Connection c = connect();
                PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            List<List<Object>> rows = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                int columns = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    List<Object> row = new ArrayList<>();
                    for (int i = 1; i <= columns; i++) {
                        row.add(rs.getObject(i));
                    }
                    rows.add(row);
                }
            }
            return rows;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    void execute(String sql) {
        try (Connection c = connect();
                java.sql.Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    void awaitRows(String table, long expected) {
        await().atMost(Duration.ofSeconds(60)).until(() -> count("SELECT count(*) FROM " + table) >= expected);
    }

    /** Waits until the sink has fetched everything committed so far (lag 0) and the count is as expected. */
    static void awaitIdle(PostgresSink sink) {
        await().atMost(Duration.ofSeconds(60))
                .until(() -> sink.meterRegistry().get(SinkMetrics.LAG).gauge().value() == 0.0);
    }

    @Override
    public void close() {
        for (PostgresSink sink : sinks) {
            sink.close();
        }
        producer.close();
    }
}
