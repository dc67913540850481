package io.splitguard.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * End-to-end latency: sends contact updates at a fixed rate (open loop, unique keys), remembers
 * each request's wall-clock send time, and finds its row in PostgreSQL. Two arrival times per row:
 *
 * <ul>
 *   <li>{@code written_at}: the row's {@code DEFAULT now()}, i.e. the start of the sink's
 *       transaction on the database's clock (the same machine clock the client uses);
 *   <li>first seen: when a poller that queries the table every {@code pollMillis} first saw the
 *       committed row (includes the commit and up to one poll interval).
 * </ul>
 */
final class EndToEnd {

    record Result(
            double rate,
            int seconds,
            int planned,
            int sent,
            int skipped,
            int accepted,
            int failed,
            int found,
            Stats.Summary http,
            Stats.Summary written,
            Stats.Summary seen,
            int pollMillis) {}

    /** Like wrk's connections: past this many unanswered requests the client skips (and counts) sends. */
    static final int MAX_IN_FLIGHT = 256;

    private final URI url;
    private final String token;
    private final String jdbcUrl;
    private final String dbUser;
    private final String dbPassword;
    private final int sessions;
    private final int pollMillis;

    EndToEnd(URI url, String token, String jdbcUrl, String dbUser, String dbPassword, int sessions, int pollMillis) {
        this.url = url;
        this.token = token;
        this.jdbcUrl = jdbcUrl;
        this.dbUser = dbUser;
        this.dbPassword = dbPassword;
        this.sessions = sessions;
        this.pollMillis = pollMillis;
    }

    Result run(double rate, int seconds, String prefix) throws Exception {
        int n = (int) Math.round(rate * seconds);
        long[] sentWallMicros = new long[n];
        long[] sentNanos = new long[n];
        AtomicLongArray answeredNanos = new AtomicLongArray(n);
        int[] status = new int[n];
        long[] writtenMicros = new long[n];
        long[] seenMicros = new long[n];
        Arrays.fill(writtenMicros, -1);
        Arrays.fill(seenMicros, -1);
        AtomicInteger inFlight = new AtomicInteger();
        int skipped = 0;

        ExecutorService io = Executors.newFixedThreadPool(2);
        HttpClient client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .executor(io)
                .build();
        Poller poller = new Poller(prefix, writtenMicros, seenMicros);
        Thread pollThread = new Thread(poller, "bench-e2e-poller");
        pollThread.setDaemon(true);
        pollThread.start();
        try {
            long start = System.nanoTime();
            double periodNanos = 1e9 / rate;
            for (int i = 0; i < n; i++) {
                long due = start + (long) (i * periodNanos);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                if (inFlight.get() >= MAX_IN_FLIGHT) {
                    status[i] = -2;
                    skipped++;
                    continue;
                }
                HttpRequest request = HttpRequest.newBuilder(url)
                        .timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "application/json")
                        .header("Authorization", "Bearer " + token)
                        .header("Idempotency-Key", prefix + i)
                        .POST(HttpRequest.BodyPublishers.ofString(body(i)))
                        .build();
                inFlight.incrementAndGet();
                final int index = i;
                sentNanos[i] = System.nanoTime();
                sentWallMicros[i] = nowMicros();
                client.sendAsync(request, HttpResponse.BodyHandlers.discarding())
                        .whenComplete((response, error) -> {
                            answeredNanos.set(index, System.nanoTime());
                            synchronized (status) {
                                status[index] = error == null ? response.statusCode() : -1;
                            }
                            inFlight.decrementAndGet();
                        });
            }
            long drainDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (inFlight.get() > 0 && System.nanoTime() < drainDeadline) {
                Thread.sleep(10);
            }
            int accepted = 0;
            synchronized (status) {
                for (int s : status) {
                    if (s == 200) {
                        accepted++;
                    }
                }
            }
            long rowDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (poller.found() < accepted && System.nanoTime() < rowDeadline) {
                Thread.sleep(50);
            }
        } finally {
            poller.stop();
            pollThread.join(5_000);
            io.shutdownNow();
        }

        Stats http = new Stats();
        Stats written = new Stats();
        Stats seen = new Stats();
        int accepted = 0;
        int failed = 0;
        int found = 0;
        synchronized (status) {
            for (int i = 0; i < n; i++) {
                if (status[i] == -2) {
                    continue;
                }
                if (status[i] != 200) {
                    failed++;
                    continue;
                }
                accepted++;
                http.add((answeredNanos.get(i) - sentNanos[i]) / 1e6);
                if (seenMicros[i] >= 0) {
                    found++;
                    written.add((writtenMicros[i] - sentWallMicros[i]) / 1e3);
                    seen.add((seenMicros[i] - sentWallMicros[i]) / 1e3);
                }
            }
        }
        return new Result(
                rate,
                seconds,
                n,
                n - skipped,
                skipped,
                accepted,
                failed,
                found,
                http.summary(),
                written.summary(),
                seen.summary(),
                pollMillis);
    }

    private String body(int i) {
        return "{\"session_id\":\"session_" + (i % sessions) + "\",\"contact_id\":\"cust_" + (i % 5000)
                + "\",\"operation\":\"UPDATE_NOTES\",\"payload\":{\"interaction_type\":\"voice\","
                + "\"agent_id\":\"agent_8821\",\"notes\":\"Caller asked to move the follow-up call to Thursday"
                + " morning and to send the revised offer by e-mail; confirmed the billing address and the"
                + " preferred contact window. Escalation not needed, sentiment neutral to positive, next step"
                + " owned by the account team. Customer mentioned a competing quote.\","
                + "\"timestamp\":\"2024-05-15T14:32:00Z\"}}";
    }

    static long nowMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    /**
     * Reads new rows of this run every poll interval. The sink writes from one thread, one
     * transaction after another, so identity ids grow in commit order and "id greater than the
     * last seen" finds each committed row once.
     */
    private final class Poller implements Runnable {

        private final String prefix;
        private final long[] writtenMicros;
        private final long[] seenMicros;
        private final AtomicInteger found = new AtomicInteger();
        private volatile boolean running = true;

        Poller(String prefix, long[] writtenMicros, long[] seenMicros) {
            this.prefix = prefix;
            this.writtenMicros = writtenMicros;
            this.seenMicros = seenMicros;
        }

        int found() {
            return found.get();
        }

        void stop() {
            running = false;
        }

        @Override
        public void run() {
            try (Connection c = DriverManager.getConnection(jdbcUrl, dbUser, dbPassword);
                    PreparedStatement q = c.prepareStatement("SELECT id, idempotency_key,"
                            + " (extract(epoch FROM written_at) * 1000000)::bigint"
                            + " FROM crm_contact_updates WHERE id > ? AND idempotency_key LIKE ? ORDER BY id")) {
                long cursor = 0;
                try (PreparedStatement start =
                                c.prepareStatement("SELECT coalesce(max(id), 0) FROM crm_contact_updates");
                        ResultSet rs = start.executeQuery()) {
                    rs.next();
                    cursor = rs.getLong(1);
                }
                q.setString(2, prefix + "%");
                while (running) {
                    long began = System.nanoTime();
                    q.setLong(1, cursor);
                    try (ResultSet rs = q.executeQuery()) {
                        long seenAt = nowMicros();
                        while (rs.next()) {
                            cursor = Math.max(cursor, rs.getLong(1));
                            int index = Integer.parseInt(rs.getString(2).substring(prefix.length()));
                            if (index >= 0 && index < seenMicros.length && seenMicros[index] < 0) {
                                writtenMicros[index] = rs.getLong(3);
                                seenMicros[index] = seenAt;
                                found.incrementAndGet();
                            }
                        }
                    }
                    long left = TimeUnit.MILLISECONDS.toNanos(pollMillis) - (System.nanoTime() - began);
                    if (left > 0) {
                        LockSupport.parkNanos(left);
                    }
                }
            } catch (SQLException e) {
                throw new IllegalStateException("end-to-end poller failed", e);
            }
        }
    }
}
