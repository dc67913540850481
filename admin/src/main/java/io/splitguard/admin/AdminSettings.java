package io.splitguard.admin;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.splitguard.schemas.config.CommonSettings;
import io.splitguard.schemas.config.Settings;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.sink.config.SinkConfig;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * What the admin tool is pointed at, read from the services' own environment names (the command
 * line's options are merged in first): the topic catalog as every service builds it, the sink's
 * database and consumer group, the Kafka clients the commands use.
 */
final class AdminSettings {

    private static final Pattern SCHEMA_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    private final Map<String, String> env;

    AdminSettings(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    Map<String, String> env() {
        return env;
    }

    TopicCatalog catalog() {
        return TopicCatalog.fromEnv(env);
    }

    /** The sink's settings: database, consumer group, idempotency retention; needs {@code DATABASE_URL}. */
    SinkConfig sink() {
        return SinkConfig.fromMap(env);
    }

    /**
     * How to reach a secured cluster: the {@code security.*}, {@code sasl.*} and {@code ssl.*} settings
     * the sink's consumer is given ({@code SPLITGUARD_SINK_CONSUMER_SECURITY_PROTOCOL=SASL_SSL}, ...),
     * applied to every client of the tool.
     */
    Map<String, String> security() {
        Map<String, String> found = new java.util.TreeMap<>();
        Settings.passThrough(env, SinkConfig.ENV_CONSUMER_PREFIX).forEach((k, v) -> {
            if (k.startsWith("security.") || k.startsWith("sasl.") || k.startsWith("ssl.")) {
                found.put(k, v);
            }
        });
        return found;
    }

    String bootstrapServers() {
        return (String) Settings.parse(CommonSettings.DEFINITION, env).get(CommonSettings.BOOTSTRAP_SERVERS);
    }

    Admin admin() {
        Properties p = new Properties();
        p.putAll(security());
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, "splitguard-admin");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        return Admin.create(p);
    }

    /** A consumer without a group (the tool assigns partitions and never commits), reading committed records only. */
    KafkaConsumer<byte[], byte[]> consumer(int maxPollRecords) {
        Properties p = new Properties();
        p.putAll(security());
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "splitguard-admin");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(maxPollRecords));
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** An idempotent producer with {@code acks=all}, as every SplitGuard writer uses. */
    KafkaProducer<byte[], byte[]> producer() {
        Properties p = new Properties();
        p.putAll(security());
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "splitguard-admin");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "20000");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "60000");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /**
     * A small pool on the sink's database; with {@code schema} every connection's search path is that
     * schema only, so the sink's own SQL (unqualified table names) reads and writes there.
     */
    HikariDataSource dataSource(String schema) {
        SinkConfig sink = sink();
        HikariConfig hikari = new HikariConfig();
        hikari.setPoolName("splitguard-admin");
        hikari.setJdbcUrl(sink.jdbcUrl());
        hikari.setUsername(sink.user());
        hikari.setPassword(sink.password());
        hikari.setMaximumPoolSize(2);
        hikari.setMinimumIdle(0);
        hikari.setConnectionTimeout(10_000);
        if (schema != null) {
            hikari.setSchema(checkSchemaName(schema));
        }
        hikari.addDataSourceProperty("reWriteBatchedInserts", "true");
        hikari.addDataSourceProperty("ApplicationName", "splitguard-admin");
        return new HikariDataSource(hikari);
    }

    /** Schema names are written into SQL: only plain lower-case identifiers are accepted. */
    static String checkSchemaName(String schema) {
        Objects.requireNonNull(schema, "schema");
        if (!SCHEMA_NAME.matcher(schema).matches()) {
            throw new IllegalArgumentException(
                    "schema name must be a lower-case identifier ([a-z_][a-z0-9_]*), was '" + schema + "'");
        }
        return schema;
    }
}
