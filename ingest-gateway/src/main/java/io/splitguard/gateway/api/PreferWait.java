package io.splitguard.gateway.api;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/** Reads {@code wait=N} (seconds) from RFC 7240 {@code Prefer} header values; other preferences are ignored. */
public final class PreferWait {

    private PreferWait() {}

    /** The requested wait, capped at {@code max}; empty when absent, malformed or zero. */
    public static Optional<Duration> parse(Iterable<String> headerValues, Duration max) {
        for (String header : headerValues) {
            if (header == null) {
                continue;
            }
            for (String preference : header.split("[,;]")) {
                String p = preference.trim().toLowerCase(Locale.ROOT);
                if (!p.startsWith("wait")) {
                    continue;
                }
                int eq = p.indexOf('=');
                if (eq < 0 || !p.substring(0, eq).trim().equals("wait")) {
                    continue;
                }
                String value = p.substring(eq + 1).trim();
                if (value.startsWith("\"") && value.endsWith("\"") && value.length() >= 2) {
                    value = value.substring(1, value.length() - 1);
                }
                try {
                    long seconds = Long.parseLong(value);
                    if (seconds <= 0) {
                        return Optional.empty();
                    }
                    Duration asked = Duration.ofSeconds(seconds);
                    return Optional.of(asked.compareTo(max) > 0 ? max : asked);
                } catch (NumberFormatException e) {
                    return Optional.empty();
                }
            }
        }
        return Optional.empty();
    }
}
