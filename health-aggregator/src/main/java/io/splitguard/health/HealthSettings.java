package io.splitguard.health;

import io.splitguard.schemas.config.Settings;
import java.net.URI;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * Settings of the composite health every service serves, defined once ({@link #DEFINITION}) and
 * included in each service's own definition with {@link #addTo(ConfigDef)}.
 *
 * @param interval delay between two runs of one component's check
 * @param timeout how long one run may take before it counts as unhealthy
 * @param reentryChecks consecutive healthy checks a failed component needs to count as healthy again
 * @param dbReplicationRequired whether a database without a synchronous streaming replica is unhealthy
 * @param dbMaxLagMs replay lag beyond which a required replica counts as lagging
 * @param platformProbes contact-center platforms to probe, by name (empty: no platform_connectivity)
 * @param breakerOpenWait how long a circuit breaker stays open before it lets one trial call through
 */
public record HealthSettings(
        Duration interval,
        Duration timeout,
        int reentryChecks,
        boolean dbReplicationRequired,
        long dbMaxLagMs,
        Map<String, URI> platformProbes,
        Duration breakerOpenWait) {

    public static final String INTERVAL = "SPLITGUARD_HEALTH_CHECK_INTERVAL";
    public static final String TIMEOUT = "SPLITGUARD_HEALTH_CHECK_TIMEOUT";
    public static final String REENTRY_CHECKS = "SPLITGUARD_HEALTH_REENTRY_CHECKS";
    public static final String DB_REPLICATION_REQUIRED = "SPLITGUARD_HEALTH_DB_REPLICATION_REQUIRED";
    public static final String DB_MAX_LAG_MS = "SPLITGUARD_HEALTH_DB_MAX_LAG_MS";
    public static final String PLATFORM_PROBES = "SPLITGUARD_HEALTH_PLATFORM_PROBES";
    public static final String BREAKER_OPEN_WAIT = "SPLITGUARD_HEALTH_BREAKER_OPEN_WAIT";

    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);
    public static final int DEFAULT_REENTRY_CHECKS = 3;
    public static final long DEFAULT_DB_MAX_LAG_MS = 50;
    public static final Duration DEFAULT_BREAKER_OPEN_WAIT = Duration.ofSeconds(10);

    /** The health settings, each with type, default, validator and doc. */
    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(
                    INTERVAL,
                    Type.STRING,
                    "PT5S",
                    Settings.positiveDuration(),
                    Importance.MEDIUM,
                    "Delay between two runs of one component's health check (GET /health serves the last result;"
                            + " a failure shows within one interval plus the timeout).")
            .define(
                    TIMEOUT,
                    Type.STRING,
                    "PT2S",
                    Settings.positiveDuration(),
                    Importance.MEDIUM,
                    "How long one health check may take; one that takes longer counts as unhealthy.")
            .define(
                    REENTRY_CHECKS,
                    Type.INT,
                    DEFAULT_REENTRY_CHECKS,
                    Range.atLeast(1),
                    Importance.MEDIUM,
                    "Consecutive healthy checks a component that failed needs before it counts as healthy again"
                            + " (until then it is 'degraded' and GET /health answers 503).")
            .define(
                    DB_REPLICATION_REQUIRED,
                    Type.BOOLEAN,
                    false,
                    Importance.MEDIUM,
                    "Whether the database must have a synchronous streaming replica within "
                            + "SPLITGUARD_HEALTH_DB_MAX_LAG_MS: when true a standalone or lagging database is unhealthy;"
                            + " when false a standalone one reports mode 'standalone' and is healthy.")
            .define(
                    DB_MAX_LAG_MS,
                    Type.LONG,
                    DEFAULT_DB_MAX_LAG_MS,
                    Range.atLeast(0),
                    Importance.MEDIUM,
                    "Largest replay lag (ms) of the database's synchronous replica that still counts as healthy.")
            .define(
                    PLATFORM_PROBES,
                    Type.LIST,
                    "",
                    probesValidator(),
                    Importance.LOW,
                    "Contact-center platforms to probe for platform_connectivity, as name=url pairs"
                            + " (genesys_cloud=https://api.mypurecloud.com,cxone=https://api.niceincontact.com). Any"
                            + " HTTP answer below 500 counts as reachable. Empty: no platform_connectivity component.")
            .define(
                    BREAKER_OPEN_WAIT,
                    Type.STRING,
                    "PT10S",
                    Settings.positiveDuration(),
                    Importance.LOW,
                    "How long a circuit breaker (opened by 3 consecutive failures of a dependency) stays open before"
                            + " one trial call may close it.")
            .define(
                    RegionSettings.REGIONS,
                    Type.LIST,
                    "local",
                    RegionSettings.regionsValidator(),
                    Importance.MEDIUM,
                    "Every region of the deployment, in order (us-east,eu-west,ap-south). A failover needs fresh"
                            + " votes from a strict majority of them; the new primary is the first healthy voting region"
                            + " in this order. Must agree across every region.")
            .define(
                    RegionSettings.REGION,
                    Type.STRING,
                    "",
                    Importance.MEDIUM,
                    "This instance's region, one of SPLITGUARD_REGIONS (empty: the first of them).")
            .define(
                    RegionSettings.INITIAL_PRIMARY,
                    Type.STRING,
                    "",
                    Importance.MEDIUM,
                    "The primary of epoch 1, before any failover (empty: the first of SPLITGUARD_REGIONS). Must"
                            + " agree across every region.")
            .define(
                    RegionSettings.VOTE_INTERVAL,
                    Type.STRING,
                    "PT2S",
                    Settings.positiveDuration(),
                    Importance.LOW,
                    "How often a region publishes its health vote to the region-health topic (and how often the"
                            + " quorum topology re-evaluates the votes on its wall clock).")
            .define(
                    RegionSettings.VOTE_MAX_AGE,
                    Type.STRING,
                    "PT10S",
                    Settings.positiveDuration(),
                    Importance.LOW,
                    "A vote older than this no longer counts. Age is measured from the broker's append time (or"
                            + " when the quorum topology first processed the vote, if earlier) on the reader's wall"
                            + " clock, never from the voter's clock. Must exceed SPLITGUARD_REGION_VOTE_INTERVAL.")
            .define(
                    RegionSettings.QUORUM_APPLICATION_ID,
                    Type.STRING,
                    "splitguard-region-quorum",
                    Importance.LOW,
                    "Kafka Streams application id of the region quorum topology (its state and changelog). Must"
                            + " agree across every instance of it.");

    public HealthSettings {
        Objects.requireNonNull(interval, "interval");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(breakerOpenWait, "breakerOpenWait");
        platformProbes = Collections.unmodifiableMap(new LinkedHashMap<>(platformProbes));
    }

    /** Every setting at its default. */
    public static HealthSettings defaults() {
        return fromEnv(Map.of());
    }

    /** Adds the health settings to {@code definition} (a service's own) and returns it. */
    public static ConfigDef addTo(ConfigDef definition) {
        DEFINITION.configKeys().values().forEach(definition::define);
        return definition;
    }

    /** Reads the health settings from environment-style keys. */
    public static HealthSettings fromEnv(Map<String, String> env) {
        return fromParsed(Settings.parse(DEFINITION, env));
    }

    /** Reads them from values parsed by a definition that includes {@link #DEFINITION}. */
    public static HealthSettings fromParsed(Map<String, Object> v) {
        @SuppressWarnings("unchecked")
        List<String> probes = (List<String>) v.get(PLATFORM_PROBES);
        return new HealthSettings(
                Settings.duration(v.get(INTERVAL)),
                Settings.duration(v.get(TIMEOUT)),
                (Integer) v.get(REENTRY_CHECKS),
                (Boolean) v.get(DB_REPLICATION_REQUIRED),
                (Long) v.get(DB_MAX_LAG_MS),
                probes(probes),
                Settings.duration(v.get(BREAKER_OPEN_WAIT)));
    }

    /** {@code name=url} pairs, in order. */
    public static Map<String, URI> probes(List<String> pairs) {
        Map<String, URI> probes = new LinkedHashMap<>();
        for (String pair : pairs) {
            String text = pair.trim();
            if (text.isEmpty()) {
                continue;
            }
            int eq = text.indexOf('=');
            if (eq <= 0 || eq == text.length() - 1) {
                throw new IllegalArgumentException("not a name=url pair: '" + text + "'");
            }
            String name = text.substring(0, eq).trim();
            if (!name.matches("[a-z][a-z0-9_]*")) {
                throw new IllegalArgumentException(
                        "platform name must be lower case letters, digits and '_': '" + name + "'");
            }
            URI uri = URI.create(text.substring(eq + 1).trim());
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
                throw new IllegalArgumentException("platform probe must be an http(s) URL: '" + uri + "'");
            }
            if (probes.put(name, uri) != null) {
                throw new IllegalArgumentException("platform named twice: '" + name + "'");
            }
        }
        return probes;
    }

    private static ConfigDef.Validator probesValidator() {
        return new ConfigDef.Validator() {
            @Override
            @SuppressWarnings("unchecked")
            public void ensureValid(String name, Object value) {
                try {
                    probes(value == null ? List.of() : (List<String>) value);
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(name, value, e.getMessage());
                }
            }

            @Override
            public String toString() {
                return "comma-separated name=http(s)-url pairs";
            }
        };
    }
}
