package io.splitguard.schemas.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * SplitGuard's one configuration model. Every service defines its settings once, as a Kafka
 * {@link ConfigDef} (type, default, validator, importance, doc string), keyed by the environment
 * variable that sets it. The environment name is the setting's name everywhere: the same name means
 * the same thing in every service and in the launcher. (The gateway's Micronaut properties follow
 * Micronaut's rule, {@code splitguard.topic.prefix} ⇔ {@code SPLITGUARD_TOPIC_PREFIX}.)
 *
 * <p>Durations are ISO-8601 ({@code PT24H}, {@code P7D}) or a plain number of milliseconds.
 * A setting that does not parse or validate fails the start with its name, the value and its doc.
 */
public final class Settings {

    private Settings() {}

    /** Parses the settings {@code definition} knows from {@code env}; absent ones take their defaults. */
    public static Map<String, Object> parse(ConfigDef definition, Map<String, String> env) {
        Map<String, String> known = new HashMap<>();
        for (String name : definition.names()) {
            String value = env.get(name);
            if (value != null) {
                known.put(name, value.trim());
            }
        }
        try {
            return definition.parse(known);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(explain(definition, e), e);
        }
    }

    private static String explain(ConfigDef definition, ConfigException e) {
        String message = e.getMessage();
        for (ConfigDef.ConfigKey key : definition.configKeys().values()) {
            if (message != null && message.contains(key.name)) {
                return message + " (" + key.name + ": " + key.documentation + ")";
            }
        }
        return message;
    }

    /**
     * The settings passed through to a client as they are: {@code SPLITGUARD_STREAMS_NUM_STANDBY_REPLICAS}
     * with prefix {@code SPLITGUARD_STREAMS_} becomes {@code num.standby.replicas}.
     */
    public static Map<String, String> passThrough(Map<String, String> env, String prefix) {
        Map<String, String> found = new TreeMap<>();
        env.forEach((name, value) -> {
            if (name.startsWith(prefix) && name.length() > prefix.length()) {
                found.put(
                        name.substring(prefix.length()).toLowerCase(Locale.ROOT).replace('_', '.'), value);
            }
        });
        return found;
    }

    /** A validator for a duration setting: ISO-8601 or a whole number of milliseconds, positive. */
    public static ConfigDef.Validator positiveDuration() {
        return durationValidator(false);
    }

    /** A validator for a duration setting that may be zero. */
    public static ConfigDef.Validator nonNegativeDuration() {
        return durationValidator(true);
    }

    private static ConfigDef.Validator durationValidator(boolean zeroAllowed) {
        return new ConfigDef.Validator() {
            @Override
            public void ensureValid(String name, Object value) {
                Duration d;
                try {
                    d = duration(value);
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(name, value, e.getMessage());
                }
                if (d.isNegative() || (d.isZero() && !zeroAllowed)) {
                    throw new ConfigException(name, value, zeroAllowed ? "must not be negative" : "must be positive");
                }
            }

            @Override
            public String toString() {
                return (zeroAllowed ? "a non-negative" : "a positive")
                        + " ISO-8601 duration (PT24H, P7D) or milliseconds";
            }
        };
    }

    /** A duration setting's value: ISO-8601 or a whole number of milliseconds. */
    public static Duration duration(Object value) {
        String text = String.valueOf(value).trim();
        if (!text.isEmpty() && text.chars().allMatch(Character::isDigit)) {
            return Duration.ofMillis(Long.parseLong(text));
        }
        try {
            return Duration.parse(text);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(
                    "not an ISO-8601 duration such as PT24H or P7D, nor a number of milliseconds: '" + text + "'");
        }
    }

    /** The value of a {@link ConfigDef.Type#PASSWORD} setting, or "" when unset. */
    public static String password(Object value) {
        return value instanceof Password p ? p.value() : value == null ? "" : value.toString();
    }

    /**
     * A Markdown table of {@code definition}: name, type, default, valid values, doc. Passwords show
     * no default. Used to generate {@code docs/CONFIGURATION.md}.
     */
    public static String markdownTable(ConfigDef definition) {
        StringBuilder out = new StringBuilder("| variable | type | default | valid values | meaning |\n");
        out.append("|---|---|---|---|---|\n");
        List<ConfigDef.ConfigKey> keys = new ArrayList<>(definition.configKeys().values());
        keys.sort((a, b) -> a.name.compareTo(b.name));
        for (ConfigDef.ConfigKey key : keys) {
            String fallback = !key.hasDefault()
                    ? "required"
                    : key.type == ConfigDef.Type.PASSWORD
                                    || key.defaultValue == null
                                    || String.valueOf(key.defaultValue).isEmpty()
                            ? ""
                            : "`" + String.valueOf(key.defaultValue) + "`";
            out.append("| `")
                    .append(key.name)
                    .append("` | ")
                    .append(key.type.name().toLowerCase(Locale.ROOT))
                    .append(" | ")
                    .append(fallback)
                    .append(" | ")
                    .append(key.validator == null ? "" : escape(key.validator.toString()))
                    .append(" | ")
                    .append(escape(key.documentation))
                    .append(" |\n");
        }
        return out.toString();
    }

    private static String escape(String text) {
        return text == null ? "" : text.replace("|", "\\|").replace("\n", " ");
    }
}
