package io.splitguard.health;

import io.splitguard.schemas.config.Settings;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * The region quorum's settings: which regions vote, which one this instance is in, the primary of
 * epoch 1, how often a region votes and how old a vote may be and still count. Defined in {@link
 * HealthSettings#DEFINITION}, so every service that includes the health settings accepts them.
 *
 * @param regions every region, in the order that breaks ties when a new primary is chosen
 * @param region this instance's region
 * @param initialPrimary the primary of epoch 1
 * @param voteInterval delay between two votes of one region, and between two evaluations of the topology
 * @param voteMaxAge a vote older than this does not count
 * @param quorumApplicationId the quorum topology's Kafka Streams application id
 */
public record RegionSettings(
        List<String> regions,
        String region,
        String initialPrimary,
        Duration voteInterval,
        Duration voteMaxAge,
        String quorumApplicationId) {

    public static final String REGIONS = "SPLITGUARD_REGIONS";
    public static final String REGION = "SPLITGUARD_REGION";
    public static final String INITIAL_PRIMARY = "SPLITGUARD_REGION_INITIAL_PRIMARY";
    public static final String VOTE_INTERVAL = "SPLITGUARD_REGION_VOTE_INTERVAL";
    public static final String VOTE_MAX_AGE = "SPLITGUARD_REGION_VOTE_MAX_AGE";
    public static final String QUORUM_APPLICATION_ID = "SPLITGUARD_REGION_QUORUM_APPLICATION_ID";

    private static final String NAME = "[a-z0-9][a-z0-9-]*";

    public RegionSettings {
        regions = List.copyOf(regions);
        if (regions.isEmpty()) {
            throw new IllegalArgumentException("at least one region is needed");
        }
        if (new LinkedHashSet<>(regions).size() != regions.size()) {
            throw new IllegalArgumentException("a region is named twice in " + regions);
        }
        Objects.requireNonNull(voteInterval, "voteInterval");
        Objects.requireNonNull(voteMaxAge, "voteMaxAge");
        Objects.requireNonNull(quorumApplicationId, "quorumApplicationId");
        region = region == null || region.isBlank() ? regions.get(0) : region.trim();
        initialPrimary = initialPrimary == null || initialPrimary.isBlank() ? regions.get(0) : initialPrimary.trim();
        if (!regions.contains(region)) {
            throw new IllegalArgumentException(REGION + " '" + region + "' is not one of " + REGIONS + " " + regions);
        }
        if (!regions.contains(initialPrimary)) {
            throw new IllegalArgumentException(
                    INITIAL_PRIMARY + " '" + initialPrimary + "' is not one of " + REGIONS + " " + regions);
        }
        if (voteMaxAge.compareTo(voteInterval) <= 0) {
            throw new IllegalArgumentException(VOTE_MAX_AGE + " (" + voteMaxAge + ") must exceed " + VOTE_INTERVAL
                    + " (" + voteInterval + "), or no vote would ever be fresh");
        }
    }

    /** Every setting at its default: one region, {@code local}, primary of itself. */
    public static RegionSettings defaults() {
        return fromEnv(Map.of());
    }

    public static RegionSettings fromEnv(Map<String, String> env) {
        return fromParsed(Settings.parse(HealthSettings.DEFINITION, env));
    }

    /** Reads them from values parsed by a definition that includes {@link HealthSettings#DEFINITION}. */
    @SuppressWarnings("unchecked")
    public static RegionSettings fromParsed(Map<String, Object> v) {
        return new RegionSettings(
                ((List<String>) v.get(REGIONS)).stream().map(String::trim).toList(),
                (String) v.get(REGION),
                (String) v.get(INITIAL_PRIMARY),
                Settings.duration(v.get(VOTE_INTERVAL)),
                Settings.duration(v.get(VOTE_MAX_AGE)),
                (String) v.get(QUORUM_APPLICATION_ID));
    }

    /** A strict majority of the configured regions: more than half. */
    public int majority() {
        return regions.size() / 2 + 1;
    }

    static ConfigDef.Validator regionsValidator() {
        return new ConfigDef.Validator() {
            @Override
            @SuppressWarnings("unchecked")
            public void ensureValid(String name, Object value) {
                List<String> names = value == null ? List.of() : (List<String>) value;
                if (names.isEmpty()) {
                    throw new ConfigException(name, value, "at least one region is needed");
                }
                for (String n : names) {
                    if (!n.trim().matches(NAME)) {
                        throw new ConfigException(
                                name, value, "a region is lower case letters, digits and '-': '" + n + "'");
                    }
                }
                if (new LinkedHashSet<>(names).size() != names.size()) {
                    throw new ConfigException(name, value, "a region is named twice");
                }
            }

            @Override
            public String toString() {
                return "comma-separated region names (lower case letters, digits, '-')";
            }
        };
    }
}
