package io.splitguard.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.splitguard.schemas.checkpoint.Migrations;
import io.splitguard.schemas.config.CommonSettings;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.json.PayloadHash;
import io.splitguard.schemas.model.IdempotencyKeys;
import io.splitguard.schemas.model.SequencedMutation;
import io.splitguard.schemas.model.StoredCheckpoint;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.sink.PostgresSink;
import io.splitguard.sink.config.SinkConfig;
import io.splitguard.testsupport.SharedInfra;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine;

/**
 * One isolated deployment per test on the shared broker and PostgreSQL: its own topic prefix,
 * database and sink group, topics created by the tool itself, a transactional producer standing in
 * for the exactly-once topology, and the real Postgres sink.
 */
final class AdminTestKit implements AutoCloseable {

    static final String TENANT = "acme";
    static final String ROUTE = "crm.contact.update";

    /** Receipt times near now, so that the idempotency rows are not yet expired. */
    private static final Instant BASE = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);

    /** What one run of the tool printed and returned. */
    record Run(int exitCode, String out, String err) {}

    final String name;
    final Map<String, String> env;
    final TopicCatalog catalog;
    final String jdbcUrl;
    private final KafkaProducer<byte[], byte[]> producer;
    private final List<PostgresSink> sinks = new ArrayList<>();

    AdminTestKit(String hint) {
        this.name = SharedInfra.uniqueName(hint);
        this.jdbcUrl = SharedInfra.postgres().createDatabase(name);
        Map<String, String> e = new HashMap<>();
        e.put(CommonSettings.BOOTSTRAP_SERVERS, SharedInfra.kafka().bootstrapServers());
        e.put(CommonSettings.TOPIC_PREFIX, name + ".");
        e.put(CommonSettings.SESSION_PARTITIONS, "3");
        e.put(SinkConfig.ENV_GROUP_ID, name + "-sink");
        e.put(SinkConfig.ENV_DATABASE_URL, jdbcUrl);
        e.put(SinkConfig.ENV_DATABASE_USER, SharedInfra.postgres().user());
        e.put(SinkConfig.ENV_DATABASE_PASSWORD, SharedInfra.postgres().password());
        e.put(SinkConfig.ENV_POLL_TIMEOUT, "PT0.1S");
        e.put(SinkConfig.ENV_RETRY_BACKOFF_MAX, "PT1S");
        e.put(SinkConfig.ENV_PRUNE_INTERVAL, "0");
        e.put(SinkConfig.ENV_BATCH_MAX_RECORDS, "7");
        e.put(SinkConfig.ENV_CONSUMER_PREFIX + "SESSION_TIMEOUT_MS", "6000");
        e.put(SinkConfig.ENV_CONSUMER_PREFIX + "HEARTBEAT_INTERVAL_MS", "500");
        this.env = Map.copyOf(e);
        this.catalog = TopicCatalog.fromEnv(env);
        // a just-created topic can take a moment to show up in the broker's metadata
        await().atMost(Duration.ofSeconds(60))
                .until(() -> run("topics", "create").exitCode() == 0);

        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfra.kafka().bootstrapServers());
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, name + "-tx");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        producer.initTransactions();
    }

    /** Runs the tool as an operator would, with this deployment's environment. */
    Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = SplitGuardAdmin.commandLine(env);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    /** The same over another checkpoint migration table than the shipped one. */
    Run run(Migrations table, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = SplitGuardAdmin.commandLine(env, table);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    /** A checkpoint as the checkpoint topology stores it, stored at {@code storedAt} with a TTL of an hour. */
    static StoredCheckpoint checkpoint(
            String session, int schemaVersion, String flowVersion, String variablesJson, Instant storedAt) {
        try {
            return new StoredCheckpoint(
                    session,
                    "eu-west",
                    "chk_" + storedAt.getEpochSecond(),
                    storedAt.getEpochSecond(),
                    schemaVersion,
                    flowVersion,
                    Json.mapper().readTree(variablesJson),
                    3600,
                    "req-" + session,
                    storedAt,
                    storedAt,
                    storedAt.plusSeconds(3600),
                    0,
                    0L);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    ProducerRecord<byte[], byte[]> record(StoredCheckpoint c) {
        return new ProducerRecord<>(
                catalog.checkpoints.name(),
                c.sessionId().getBytes(StandardCharsets.UTF_8),
                catalog.checkpoints.valueSerde().serializer().serialize(catalog.checkpoints.name(), c));
    }

    /** A tombstone for {@code key} on {@code topic}. */
    ProducerRecord<byte[], byte[]> tombstone(String topic, String key) {
        return new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), null);
    }

    PostgresSink startSink() {
        return startSink(Map.of());
    }

    /** A sink with some settings changed (e.g. its database URL). */
    PostgresSink startSink(Map<String, String> overrides) {
        Map<String, String> settings = new HashMap<>(env);
        settings.putAll(overrides);
        PostgresSink sink = new PostgresSink(SinkConfig.fromMap(settings), catalog, new SimpleMeterRegistry());
        sinks.add(sink);
        sink.start();
        return sink;
    }

    static SequencedMutation mutation(String session, long sequence, String key, Long fencingToken) {
        return mutation(session, 0L, sequence, key, fencingToken, "resolved-" + key);
    }

    static SequencedMutation mutation(
            String session, long epoch, long sequence, String key, Long fencingToken, String disposition) {
        return mutation(session, epoch, sequence, key, fencingToken, disposition, BASE.plusSeconds(sequence));
    }

    static SequencedMutation mutation(
            String session,
            long epoch,
            long sequence,
            String key,
            Long fencingToken,
            String disposition,
            Instant receivedAt) {
        ObjectNode body = Json.mapper().createObjectNode();
        body.put("session_id", session);
        body.put("contact_id", "contact-" + session);
        body.put("operation", "update_disposition");
        body.putObject("payload").put("disposition", disposition).put("attempt", sequence);
        return new SequencedMutation(
                "req-" + key + "-" + sequence,
                TENANT,
                ROUTE,
                session,
                key,
                IdempotencyKeys.scoped(TENANT, ROUTE, session, key),
                PayloadHash.of(body),
                epoch,
                sequence,
                fencingToken,
                receivedAt,
                receivedAt.plusMillis(5),
                body);
    }

    ProducerRecord<byte[], byte[]> record(SequencedMutation m) {
        return new ProducerRecord<>(
                catalog.mutations.name(),
                m.sessionId().getBytes(StandardCharsets.UTF_8),
                catalog.mutations.valueSerde().serializer().serialize(catalog.mutations.name(), m));
    }

    ProducerRecord<byte[], byte[]> raw(String topic, String key, String value) {
        return new ProducerRecord<>(
                topic, key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
    }

    void commit(List<ProducerRecord<byte[], byte[]>> records) {
        producer.beginTransaction();
        records.forEach(producer::send);
        producer.commitTransaction();
    }

    void abort(List<ProducerRecord<byte[], byte[]>> records) {
        producer.beginTransaction();
        records.forEach(producer::send);
        producer.flush();
        producer.abortTransaction();
    }

    Connection connect() throws SQLException {
        return DriverManager.getConnection(
                jdbcUrl, SharedInfra.postgres().user(), SharedInfra.postgres().password());
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
                        Object v = rs.getObject(i);
                        // jsonb and other PGobjects compare by their text
                        row.add(v instanceof org.postgresql.util.PGobject pg ? pg.getValue() : v);
                    }
                    rows.add(row);
                }
            }
            return rows;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    long count(String sql, Object... args) {
        return ((Number) query(sql, args).get(0).get(0)).longValue();
    }

    void execute(String sql) {
        try (Connection c = connect();
                Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Waits until the sink has committed the expected rows. */
    void awaitSink(long updates, long refusals, long deadLetters) {
        await().atMost(Duration.ofSeconds(60))
                .until(() -> count("SELECT count(*) FROM crm_contact_updates") == updates
                        && count("SELECT count(*) FROM sink_refusals") == refusals
                        && count("SELECT count(*) FROM sink_dead_letters") == deadLetters);
        assertThat(count("SELECT count(*) FROM crm_contact_updates")).isEqualTo(updates);
    }

    void stopSinks() {
        sinks.forEach(PostgresSink::close);
        sinks.clear();
    }

    @Override
    public void close() {
        stopSinks();
        producer.close();
    }
}
