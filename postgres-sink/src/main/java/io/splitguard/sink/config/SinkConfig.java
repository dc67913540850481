package io.splitguard.sink.config;

import io.splitguard.health.HealthSettings;
import io.splitguard.schemas.config.CommonSettings;
import io.splitguard.schemas.config.Settings;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * Settings of the Postgres sink: each defined once in {@link #DEFINITION} (type, default, validator,
 * doc), read from environment-style keys by {@link #fromMap(Map)}. The record is their typed view.
 *
 * @param user database user ("" when the URL or the driver's defaults carry it)
 * @param password database password ("" when none)
 * @param consumerProperties extra Kafka consumer properties; they override the sink's defaults except
 *     the ones exactly-once depends on (isolation level, auto commit, offset reset, deserializers)
 * @param producerProperties extra Kafka producer properties of the audit publisher (e.g. security
 *     settings); acknowledgements, idempotence and serializers cannot be overridden
 */
public record SinkConfig(
        String bootstrapServers,
        String groupId,
        String jdbcUrl,
        String user,
        String password,
        int maxBatchRecords,
        Duration pollTimeout,
        Duration idempotencyRetention,
        Duration sessionIdleHorizon,
        Duration pruneInterval,
        int pruneBatchSize,
        Duration retryBackoffMax,
        int poolSize,
        boolean migrateOnStart,
        Map<String, String> consumerProperties,
        Map<String, String> producerProperties) {

    public static final String DEFAULT_GROUP_ID = "splitguard-postgres-sink";

    public static final String ENV_BOOTSTRAP_SERVERS = CommonSettings.BOOTSTRAP_SERVERS;
    public static final String ENV_GROUP_ID = "SPLITGUARD_SINK_GROUP_ID";
    public static final String ENV_DATABASE_URL = "DATABASE_URL";
    public static final String ENV_DATABASE_USER = "DATABASE_USER";
    public static final String ENV_DATABASE_PASSWORD = "DATABASE_PASSWORD";
    public static final String ENV_BATCH_MAX_RECORDS = "SPLITGUARD_SINK_BATCH_MAX_RECORDS";
    public static final String ENV_POLL_TIMEOUT = "SPLITGUARD_SINK_POLL_TIMEOUT";
    public static final String ENV_IDEMPOTENCY_RETENTION = "SPLITGUARD_IDEMPOTENCY_RETENTION";
    public static final String ENV_SESSION_IDLE_HORIZON = "SPLITGUARD_SINK_SESSION_IDLE_HORIZON";
    public static final String ENV_PRUNE_INTERVAL = "SPLITGUARD_SINK_PRUNE_INTERVAL";
    public static final String ENV_PRUNE_BATCH_SIZE = "SPLITGUARD_SINK_PRUNE_BATCH_SIZE";
    public static final String ENV_RETRY_BACKOFF_MAX = "SPLITGUARD_SINK_RETRY_BACKOFF_MAX";
    public static final String ENV_POOL_SIZE = "SPLITGUARD_SINK_POOL_SIZE";
    public static final String ENV_MIGRATE = "SPLITGUARD_SINK_MIGRATE";
    public static final String ENV_MANAGEMENT_PORT = "SPLITGUARD_MANAGEMENT_PORT";
    /** {@code SPLITGUARD_SINK_CONSUMER_MAX_POLL_INTERVAL_MS=60000} sets {@code max.poll.interval.ms}. */
    public static final String ENV_CONSUMER_PREFIX = "SPLITGUARD_SINK_CONSUMER_";
    /** {@code SPLITGUARD_SINK_PRODUCER_SECURITY_PROTOCOL=SSL} sets the audit producer's {@code security.protocol}. */
    public static final String ENV_PRODUCER_PREFIX = "SPLITGUARD_SINK_PRODUCER_";

    /**
     * The sink's settings (with the common ones and the health ones, {@link HealthSettings}), each with
     * its type, default, validator and doc.
     */
    public static final ConfigDef DEFINITION = HealthSettings.addTo(new ConfigDef(CommonSettings.DEFINITION)
            .define(
                    ENV_DATABASE_URL,
                    Type.STRING,
                    ConfigDef.NO_DEFAULT_VALUE,
                    new ConfigDef.NonEmptyString(),
                    Importance.HIGH,
                    "The target database: jdbc:postgresql://host:port/db or postgres://user:password@host:port/db.")
            .define(
                    ENV_DATABASE_USER,
                    Type.STRING,
                    "",
                    Importance.HIGH,
                    "Database user; wins over one in DATABASE_URL.")
            .define(
                    ENV_DATABASE_PASSWORD,
                    Type.PASSWORD,
                    "",
                    Importance.HIGH,
                    "Database password; wins over one in DATABASE_URL. Never logged.")
            .define(
                    ENV_GROUP_ID,
                    Type.STRING,
                    DEFAULT_GROUP_ID,
                    new ConfigDef.NonEmptyString(),
                    Importance.HIGH,
                    "Consumer group, and the key under which offsets are stored in sink_offsets. Must agree across"
                            + " sink instances.")
            .define(
                    ENV_BATCH_MAX_RECORDS,
                    Type.INT,
                    500,
                    Range.atLeast(1),
                    Importance.MEDIUM,
                    "Most records one poll, and so one database transaction, holds.")
            .define(
                    ENV_POLL_TIMEOUT,
                    Type.STRING,
                    "PT0.5S",
                    Settings.positiveDuration(),
                    Importance.LOW,
                    "How long one poll waits for records.")
            .define(
                    ENV_IDEMPOTENCY_RETENTION,
                    Type.STRING,
                    "P7D",
                    Settings.positiveDuration(),
                    Importance.MEDIUM,
                    "How long an idempotency_store row is kept after the key's first receipt.")
            .define(
                    ENV_SESSION_IDLE_HORIZON,
                    Type.STRING,
                    "P2D",
                    Settings.positiveDuration(),
                    Importance.MEDIUM,
                    "The fencing mark (session_sequences) of a session not written for this long is deleted; a"
                            + " session written again later comes in a new, greater epoch.")
            .define(
                    ENV_PRUNE_INTERVAL,
                    Type.STRING,
                    "PT10M",
                    Settings.nonNegativeDuration(),
                    Importance.LOW,
                    "How often expired idempotency rows and idle session marks are deleted; 0 disables the job.")
            .define(
                    ENV_PRUNE_BATCH_SIZE,
                    Type.INT,
                    5_000,
                    Range.atLeast(1),
                    Importance.LOW,
                    "Rows deleted per prune statement (each its own short transaction).")
            .define(
                    ENV_RETRY_BACKOFF_MAX,
                    Type.STRING,
                    "PT10S",
                    Settings.positiveDuration(),
                    Importance.LOW,
                    "Longest wait between retries after a database failure.")
            .define(
                    ENV_POOL_SIZE,
                    Type.INT,
                    4,
                    Range.atLeast(2),
                    Importance.LOW,
                    "JDBC connections (writer, prune job, audit publisher, one spare).")
            .define(
                    ENV_MIGRATE,
                    Type.BOOLEAN,
                    true,
                    Importance.MEDIUM,
                    "Apply the Flyway migrations when the sink starts.")
            .define(
                    ENV_MANAGEMENT_PORT,
                    Type.INT,
                    8082,
                    Range.between(0, 65535),
                    Importance.MEDIUM,
                    "Port of /health, /health/live, /health/ready and /metrics (Prometheus) of the sink process."));

    public SinkConfig {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(groupId, "groupId");
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException(
                    ENV_DATABASE_URL + " must be a jdbc:postgresql: or postgres:// URL, was " + jdbcUrl);
        }
        user = user == null ? "" : user;
        password = password == null ? "" : password;
        Objects.requireNonNull(pollTimeout, "pollTimeout");
        Objects.requireNonNull(idempotencyRetention, "idempotencyRetention");
        Objects.requireNonNull(sessionIdleHorizon, "sessionIdleHorizon");
        Objects.requireNonNull(pruneInterval, "pruneInterval");
        Objects.requireNonNull(retryBackoffMax, "retryBackoffMax");
        consumerProperties = Map.copyOf(consumerProperties == null ? Map.of() : consumerProperties);
        producerProperties = Map.copyOf(producerProperties == null ? Map.of() : producerProperties);
    }

    /** The configuration described by the process environment. */
    public static SinkConfig fromEnv() {
        return fromMap(System.getenv());
    }

    /**
     * {@code defaults} (environment-style keys, e.g. the addresses of locally started services) with
     * every key the process environment sets taking precedence.
     */
    public static SinkConfig fromEnv(Map<String, String> defaults) {
        Map<String, String> merged = new HashMap<>(defaults);
        merged.putAll(System.getenv());
        return fromMap(merged);
    }

    /** The configuration described by environment-style keys; absent keys take their defaults. */
    public static SinkConfig fromMap(Map<String, String> env) {
        if (env.get(ENV_DATABASE_URL) == null || env.get(ENV_DATABASE_URL).isBlank()) {
            throw new IllegalArgumentException(ENV_DATABASE_URL + " is required");
        }
        Map<String, Object> v = Settings.parse(DEFINITION, env);
        Database db = Database.of(
                (String) v.get(ENV_DATABASE_URL),
                (String) v.get(ENV_DATABASE_USER),
                Settings.password(v.get(ENV_DATABASE_PASSWORD)));
        return new SinkConfig(
                (String) v.get(ENV_BOOTSTRAP_SERVERS),
                (String) v.get(ENV_GROUP_ID),
                db.jdbcUrl(),
                db.user(),
                db.password(),
                (Integer) v.get(ENV_BATCH_MAX_RECORDS),
                Settings.duration(v.get(ENV_POLL_TIMEOUT)),
                Settings.duration(v.get(ENV_IDEMPOTENCY_RETENTION)),
                Settings.duration(v.get(ENV_SESSION_IDLE_HORIZON)),
                Settings.duration(v.get(ENV_PRUNE_INTERVAL)),
                (Integer) v.get(ENV_PRUNE_BATCH_SIZE),
                Settings.duration(v.get(ENV_RETRY_BACKOFF_MAX)),
                (Integer) v.get(ENV_POOL_SIZE),
                (Boolean) v.get(ENV_MIGRATE),
                Settings.passThrough(env, ENV_CONSUMER_PREFIX),
                Settings.passThrough(env, ENV_PRODUCER_PREFIX));
    }

    @Override
    public String toString() {
        // for logs: no value that may carry a secret (URL query parameters, client properties such as
        // sasl.jaas.config or ssl.key.password), only the keys
        int query = jdbcUrl.indexOf('?');
        String url = query < 0
                ? jdbcUrl
                : jdbcUrl.substring(0, query) + "?("
                        + jdbcUrl.substring(query + 1).split("&").length + " parameters)";
        return "SinkConfig[bootstrapServers=" + bootstrapServers + ", groupId=" + groupId + ", jdbcUrl=" + url
                + ", user=" + user + ", password=" + (password.isEmpty() ? "" : "****") + ", maxBatchRecords="
                + maxBatchRecords + ", pollTimeout=" + pollTimeout + ", idempotencyRetention=" + idempotencyRetention
                + ", sessionIdleHorizon=" + sessionIdleHorizon + ", pruneInterval=" + pruneInterval
                + ", pruneBatchSize=" + pruneBatchSize + ", retryBackoffMax="
                + retryBackoffMax + ", poolSize=" + poolSize + ", migrateOnStart=" + migrateOnStart
                + ", consumerProperties=" + consumerProperties.keySet() + ", producerProperties="
                + producerProperties.keySet()
                + "]";
    }

    /** A database address: a JDBC URL, or a {@code postgres://user:password@host:port/db} URL turned into one. */
    record Database(String jdbcUrl, String user, String password) {

        /** Credentials in the URL are used unless {@code explicitUser} / {@code explicitPassword} are given. */
        static Database of(String url, String explicitUser, String explicitPassword) {
            String u = url.trim();
            String urlUser = null;
            String urlPassword = null;
            if (u.startsWith("postgres://") || u.startsWith("postgresql://")) {
                URI uri = URI.create(u);
                String info = uri.getRawUserInfo();
                if (info != null) {
                    int colon = info.indexOf(':');
                    urlUser = decode(colon < 0 ? info : info.substring(0, colon));
                    urlPassword = colon < 0 ? null : decode(info.substring(colon + 1));
                }
                String port = uri.getPort() < 0 ? "" : ":" + uri.getPort();
                String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
                u = "jdbc:postgresql://" + uri.getHost() + port + uri.getRawPath() + query;
            }
            return new Database(u, firstNonBlank(explicitUser, urlUser), firstNonBlank(explicitPassword, urlPassword));
        }

        private static String decode(String text) {
            return URLDecoder.decode(text, StandardCharsets.UTF_8);
        }

        private static String firstNonBlank(String... values) {
            for (String v : values) {
                if (v != null && !v.isBlank()) {
                    return v;
                }
            }
            return "";
        }
    }
}
