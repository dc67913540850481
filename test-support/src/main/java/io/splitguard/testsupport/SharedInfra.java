package io.splitguard.testsupport;

import io.splitguard.infra.EmbeddedKafka;
import io.splitguard.infra.LocalPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Starts one real Kafka broker and one real PostgreSQL per test JVM, on first use, and stops them
 * when the JUnit run ends. Tests isolate themselves with {@link #uniqueName(String)}: their own
 * topic prefix and their own database.
 */
public final class SharedInfra implements BeforeAllCallback {

    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final String RUN = Long.toString(System.nanoTime() % 1_000_000, 36);
    private static EmbeddedKafka kafka;
    private static LocalPostgres postgres;

    @Override
    public void beforeAll(ExtensionContext context) {
        context.getRoot()
                .getStore(ExtensionContext.Namespace.GLOBAL)
                .computeIfAbsent(
                        SharedInfra.class.getName(), k -> (AutoCloseable) SharedInfra::shutdown, AutoCloseable.class);
    }

    /** The per-JVM broker, started on first call. */
    public static synchronized EmbeddedKafka kafka() {
        if (kafka == null) {
            kafka = EmbeddedKafka.start(tempDir("kafka"), 0);
        }
        return kafka;
    }

    /** The per-JVM PostgreSQL server, started on first call. */
    public static synchronized LocalPostgres postgres() {
        if (postgres == null) {
            postgres = LocalPostgres.start(tempDir("pg"), false);
        }
        return postgres;
    }

    /** A fresh database on {@link #postgres()}; returns its JDBC URL. */
    public static String newDatabase(String hint) {
        return postgres().createDatabase(uniqueName(hint).replace('-', '_').replace('.', '_'));
    }

    /** A name no other test of this run uses: lower case, usable as topic prefix, group id or database name. */
    public static String uniqueName(String hint) {
        String clean = hint.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
        if (clean.length() > 24) {
            clean = clean.substring(0, 24);
        }
        return "t" + RUN + "_" + COUNTER.incrementAndGet() + "_" + clean;
    }

    private static synchronized void shutdown() {
        if (kafka != null) {
            kafka.stop();
            kafka = null;
        }
        if (postgres != null) {
            postgres.stop();
            postgres = null;
        }
    }

    private static Path tempDir(String name) {
        try {
            return Files.createTempDirectory("splitguard-" + name + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
