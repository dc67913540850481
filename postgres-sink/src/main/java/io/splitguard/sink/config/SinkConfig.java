package io.splitguard.sink.config;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Settings of the Postgres sink. Build it in code with {@link #builder()}, or from environment-style
 * keys with {@link #fromEnv()} / {@link #fromMap(Map)} (keys listed on the constants below).
 *
 * @param bootstrapServers Kafka bootstrap servers
 * @param groupId consumer group; also the key under which offsets are stored in {@code sink_offsets}
 * @param jdbcUrl {@code jdbc:postgresql://...} URL of the target database
 * @param maxBatchRecords most records one poll (and so one database transaction) holds
 * @param pollTimeout how long one poll waits for records
 * @param idempotencyRetention how long an {@code idempotency_store} row is kept after the key's first receipt
 * @param sessionIdleHorizon a {@code session_sequences} row not written for this long (database clock) is
 *     deleted by the prune job; a session written again later arrives in a new, greater epoch
 * @param pruneInterval how often expired idempotency rows are deleted; zero or negative disables the job
 * @param pruneBatchSize rows deleted per prune statement
 * @param retryBackoffMax longest wait between retries after a database failure
 * @param poolSize JDBC connections (writer, prune job, audit publisher, one spare)
 * @param migrateOnStart apply the Flyway migrations when the sink starts
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

    public static final String ENV_BOOTSTRAP_SERVERS = "SPLITGUARD_KAFKA_BOOTSTRAP_SERVERS";
    public static final String ENV_GROUP_ID = "SPLITGUARD_SINK_GROUP_ID";
    /** {@code jdbc:postgresql://host:port/db} or {@code postgres://user:password@host:port/db}. */
    public static final String ENV_DATABASE_URL = "DATABASE_URL";

    public static final String ENV_DATABASE_USER = "DATABASE_USER";
    public static final String ENV_DATABASE_PASSWORD = "DATABASE_PASSWORD";
    public static final String ENV_BATCH_MAX_RECORDS = "SPLITGUARD_SINK_BATCH_MAX_RECORDS";
    /** Durations take ISO-8601 ({@code PT0.5S}, {@code P7D}) or a plain number of milliseconds. */
    public static final String ENV_POLL_TIMEOUT = "SPLITGUARD_SINK_POLL_TIMEOUT";

    public static final String ENV_IDEMPOTENCY_RETENTION = "SPLITGUARD_IDEMPOTENCY_RETENTION";
    public static final String ENV_SESSION_IDLE_HORIZON = "SPLITGUARD_SINK_SESSION_IDLE_HORIZON";
    public static final String ENV_PRUNE_INTERVAL = "SPLITGUARD_SINK_PRUNE_INTERVAL";
    public static final String ENV_PRUNE_BATCH_SIZE = "SPLITGUARD_SINK_PRUNE_BATCH_SIZE";
    public static final String ENV_RETRY_BACKOFF_MAX = "SPLITGUARD_SINK_RETRY_BACKOFF_MAX";
    public static final String ENV_POOL_SIZE = "SPLITGUARD_SINK_POOL_SIZE";
    public static final String ENV_MIGRATE = "SPLITGUARD_SINK_MIGRATE";
    /** {@code SPLITGUARD_SINK_CONSUMER_MAX_POLL_INTERVAL_MS=60000} sets {@code max.poll.interval.ms}. */
    public static final String ENV_CONSUMER_PREFIX = "SPLITGUARD_SINK_CONSUMER_";
    /** {@code SPLITGUARD_SINK_PRODUCER_SECURITY_PROTOCOL=SSL} sets the audit producer's {@code security.protocol}. */
    public static final String ENV_PRODUCER_PREFIX = "SPLITGUARD_SINK_PRODUCER_";

    public SinkConfig {
        requireText(bootstrapServers, "bootstrapServers");
        requireText(groupId, "groupId");
        requireText(jdbcUrl, "jdbcUrl");
        if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("jdbcUrl must be a jdbc:postgresql: URL, was " + jdbcUrl);
        }
        user = user == null ? "" : user;
        password = password == null ? "" : password;
        if (maxBatchRecords < 1) {
            throw new IllegalArgumentException("maxBatchRecords must be >= 1");
        }
        requirePositive(pollTimeout, "pollTimeout");
        requirePositive(idempotencyRetention, "idempotencyRetention");
        requirePositive(sessionIdleHorizon, "sessionIdleHorizon");
        Objects.requireNonNull(pruneInterval, "pruneInterval");
        if (pruneBatchSize < 1) {
            throw new IllegalArgumentException("pruneBatchSize must be >= 1");
        }
        requirePositive(retryBackoffMax, "retryBackoffMax");
        if (poolSize < 2) {
            throw new IllegalArgumentException("poolSize must be >= 2 (writer and prune job)");
        }
        consumerProperties = Map.copyOf(consumerProperties == null ? Map.of() : consumerProperties);
        producerProperties = Map.copyOf(producerProperties == null ? Map.of() : producerProperties);
    }

    public static Builder builder() {
        return new Builder();
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

    /** The configuration described by environment-style keys; absent keys take the defaults. */
    public static SinkConfig fromMap(Map<String, String> env) {
        Builder b = builder();
        String url = env.get(ENV_DATABASE_URL);
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException(ENV_DATABASE_URL + " is required");
        }
        b.database(url, env.get(ENV_DATABASE_USER), env.get(ENV_DATABASE_PASSWORD));
        if (env.containsKey(ENV_BOOTSTRAP_SERVERS)) {
            b.bootstrapServers(env.get(ENV_BOOTSTRAP_SERVERS));
        }
        if (env.containsKey(ENV_GROUP_ID)) {
            b.groupId(env.get(ENV_GROUP_ID));
        }
        if (env.containsKey(ENV_BATCH_MAX_RECORDS)) {
            b.maxBatchRecords(parseInt(env, ENV_BATCH_MAX_RECORDS));
        }
        if (env.containsKey(ENV_POLL_TIMEOUT)) {
            b.pollTimeout(parseDuration(env, ENV_POLL_TIMEOUT));
        }
        if (env.containsKey(ENV_IDEMPOTENCY_RETENTION)) {
            b.idempotencyRetention(parseDuration(env, ENV_IDEMPOTENCY_RETENTION));
        }
        if (env.containsKey(ENV_SESSION_IDLE_HORIZON)) {
            b.sessionIdleHorizon(parseDuration(env, ENV_SESSION_IDLE_HORIZON));
        }
        if (env.containsKey(ENV_PRUNE_INTERVAL)) {
            b.pruneInterval(parseDuration(env, ENV_PRUNE_INTERVAL));
        }
        if (env.containsKey(ENV_PRUNE_BATCH_SIZE)) {
            b.pruneBatchSize(parseInt(env, ENV_PRUNE_BATCH_SIZE));
        }
        if (env.containsKey(ENV_RETRY_BACKOFF_MAX)) {
            b.retryBackoffMax(parseDuration(env, ENV_RETRY_BACKOFF_MAX));
        }
        if (env.containsKey(ENV_POOL_SIZE)) {
            b.poolSize(parseInt(env, ENV_POOL_SIZE));
        }
        if (env.containsKey(ENV_MIGRATE)) {
            b.migrateOnStart(Boolean.parseBoolean(env.get(ENV_MIGRATE).trim()));
        }
        b.consumerProperties(prefixed(env, ENV_CONSUMER_PREFIX));
        b.producerProperties(prefixed(env, ENV_PRODUCER_PREFIX));
        return b.build();
    }

    private static Map<String, String> prefixed(Map<String, String> env, String prefix) {
        Map<String, String> extra = new TreeMap<>();
        env.forEach((key, value) -> {
            if (key.startsWith(prefix) && key.length() > prefix.length()) {
                String property =
                        key.substring(prefix.length()).toLowerCase(Locale.ROOT).replace('_', '.');
                extra.put(property, value);
            }
        });
        return extra;
    }

    /** Same settings, another consumer group (tests, or a second sink into another database). */
    public SinkConfig withGroupId(String newGroupId) {
        return toBuilder().groupId(newGroupId).build();
    }

    public Builder toBuilder() {
        return builder()
                .bootstrapServers(bootstrapServers)
                .groupId(groupId)
                .jdbcUrl(jdbcUrl)
                .credentials(user, password)
                .maxBatchRecords(maxBatchRecords)
                .pollTimeout(pollTimeout)
                .idempotencyRetention(idempotencyRetention)
                .sessionIdleHorizon(sessionIdleHorizon)
                .pruneInterval(pruneInterval)
                .pruneBatchSize(pruneBatchSize)
                .retryBackoffMax(retryBackoffMax)
                .poolSize(poolSize)
                .migrateOnStart(migrateOnStart)
                .consumerProperties(consumerProperties)
                .producerProperties(producerProperties);
    }

    @Override
    public String toString() {
        return "SinkConfig[bootstrapServers=" + bootstrapServers + ", groupId=" + groupId + ", jdbcUrl=" + jdbcUrl
                + ", user=" + user + ", password=" + (password.isEmpty() ? "" : "****") + ", maxBatchRecords="
                + maxBatchRecords + ", pollTimeout=" + pollTimeout + ", idempotencyRetention=" + idempotencyRetention
                + ", sessionIdleHorizon=" + sessionIdleHorizon + ", pruneInterval=" + pruneInterval
                + ", pruneBatchSize=" + pruneBatchSize + ", retryBackoffMax="
                + retryBackoffMax + ", poolSize=" + poolSize + ", migrateOnStart=" + migrateOnStart
                + ", consumerProperties=" + consumerProperties + ", producerProperties=" + producerProperties.keySet()
                + "]";
    }

    private static void requireText(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " is required");
        }
    }

    private static void requirePositive(Duration value, String name) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be a positive duration, was " + value);
        }
    }

    private static int parseInt(Map<String, String> env, String key) {
        try {
            return Integer.parseInt(env.get(key).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " is not a whole number: " + env.get(key), e);
        }
    }

    /** ISO-8601 ({@code PT5M}, {@code P7D}) or a plain number of milliseconds. */
    static Duration parseDuration(Map<String, String> env, String key) {
        String text = env.get(key).trim();
        try {
            if (text.chars().allMatch(Character::isDigit) && !text.isEmpty()) {
                return Duration.ofMillis(Long.parseLong(text));
            }
            return Duration.parse(text.toUpperCase(Locale.ROOT));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(key + " is not a duration (ISO-8601 or milliseconds): " + text, e);
        }
    }

    public static final class Builder {
        private String bootstrapServers = "localhost:9092";
        private String groupId = DEFAULT_GROUP_ID;
        private String jdbcUrl;
        private String user = "";
        private String password = "";
        private int maxBatchRecords = 500;
        private Duration pollTimeout = Duration.ofMillis(500);
        private Duration idempotencyRetention = Duration.ofDays(7);
        private Duration sessionIdleHorizon = Duration.ofDays(2);
        private Duration pruneInterval = Duration.ofMinutes(10);
        private int pruneBatchSize = 5_000;
        private Duration retryBackoffMax = Duration.ofSeconds(10);
        private int poolSize = 4;
        private boolean migrateOnStart = true;
        private Map<String, String> consumerProperties = Map.of();
        private Map<String, String> producerProperties = Map.of();

        private Builder() {}

        public Builder bootstrapServers(String servers) {
            this.bootstrapServers = servers;
            return this;
        }

        public Builder groupId(String group) {
            this.groupId = group;
            return this;
        }

        public Builder jdbcUrl(String url) {
            this.jdbcUrl = url;
            return this;
        }

        public Builder credentials(String dbUser, String dbPassword) {
            this.user = dbUser;
            this.password = dbPassword;
            return this;
        }

        /**
         * A JDBC URL, or a {@code postgres://user:password@host:port/db} URL whose credentials are used
         * unless {@code explicitUser} / {@code explicitPassword} are given.
         */
        public Builder database(String url, String explicitUser, String explicitPassword) {
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
            this.jdbcUrl = u;
            this.user = firstNonBlank(explicitUser, urlUser, this.user);
            this.password = firstNonBlank(explicitPassword, urlPassword, this.password);
            return this;
        }

        public Builder maxBatchRecords(int max) {
            this.maxBatchRecords = max;
            return this;
        }

        public Builder pollTimeout(Duration timeout) {
            this.pollTimeout = timeout;
            return this;
        }

        public Builder idempotencyRetention(Duration retention) {
            this.idempotencyRetention = retention;
            return this;
        }

        public Builder sessionIdleHorizon(Duration horizon) {
            this.sessionIdleHorizon = horizon;
            return this;
        }

        public Builder pruneInterval(Duration interval) {
            this.pruneInterval = interval;
            return this;
        }

        public Builder pruneBatchSize(int size) {
            this.pruneBatchSize = size;
            return this;
        }

        public Builder retryBackoffMax(Duration max) {
            this.retryBackoffMax = max;
            return this;
        }

        public Builder poolSize(int size) {
            this.poolSize = size;
            return this;
        }

        public Builder migrateOnStart(boolean migrate) {
            this.migrateOnStart = migrate;
            return this;
        }

        public Builder consumerProperties(Map<String, String> properties) {
            this.consumerProperties = properties;
            return this;
        }

        public Builder producerProperties(Map<String, String> properties) {
            this.producerProperties = properties;
            return this;
        }

        public SinkConfig build() {
            return new SinkConfig(
                    bootstrapServers,
                    groupId,
                    jdbcUrl,
                    user,
                    password,
                    maxBatchRecords,
                    pollTimeout,
                    idempotencyRetention,
                    sessionIdleHorizon,
                    pruneInterval,
                    pruneBatchSize,
                    retryBackoffMax,
                    poolSize,
                    migrateOnStart,
                    consumerProperties,
                    producerProperties);
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
