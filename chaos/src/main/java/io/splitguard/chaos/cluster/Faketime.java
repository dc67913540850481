package io.splitguard.chaos.cluster;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * libfaketime (Debian package {@code faketime}): preloaded into a JVM it moves the wall clock
 * ({@code System.currentTimeMillis}, {@code Instant.now}) by a fixed offset. The monotonic clock
 * ({@code System.nanoTime}) is left alone ({@code FAKETIME_DONT_FAKE_MONOTONIC=1}): timeouts, timers and
 * the JVM's own bookkeeping keep working, only the time of day is wrong, as on a host whose clock is off.
 */
public final class Faketime {

    /** Overrides where the library is looked for. */
    public static final String LIBRARY_ENV = "SPLITGUARD_CHAOS_LIBFAKETIME";

    static final List<Path> CANDIDATES = List.of(
            Path.of("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"),
            Path.of("/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1"),
            Path.of("/usr/lib/faketime/libfaketime.so.1"),
            Path.of("/usr/local/lib/faketime/libfaketime.so.1"));

    private Faketime() {}

    /** The library, from {@value #LIBRARY_ENV} if set, else the first of the usual places that exists. */
    public static Optional<Path> find() {
        String configured = System.getenv(LIBRARY_ENV);
        return find(configured == null || configured.isBlank() ? CANDIDATES : List.of(Path.of(configured)));
    }

    static Optional<Path> find(List<Path> candidates) {
        return candidates.stream().filter(Files::isRegularFile).findFirst();
    }

    /** The library, or an error that says what is missing and how to install it. */
    public static Path require() {
        String configured = System.getenv(LIBRARY_ENV);
        return require(configured == null || configured.isBlank() ? CANDIDATES : List.of(Path.of(configured)));
    }

    static Path require(List<Path> candidates) {
        return find(candidates)
                .orElseThrow(() -> new IllegalStateException("GATEWAY_CLOCK_SKEW needs libfaketime, found none at "
                        + candidates + " (set $" + LIBRARY_ENV + ", or install it: apt-get install -y faketime)"));
    }

    /** The environment that starts a JVM with its wall clock moved by {@code offset}. */
    public static Map<String, String> env(Path library, Duration offset) {
        return Map.of(
                "LD_PRELOAD",
                library.toString(),
                // a relative offset in seconds: "+90000" is 25 h ahead, "-600" 10 min behind
                "FAKETIME",
                (offset.isNegative() ? "-" : "+") + offset.abs().toSeconds(),
                "FAKETIME_DONT_FAKE_MONOTONIC",
                "1");
    }
}
