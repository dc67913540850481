package io.splitguard.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import org.HdrHistogram.Histogram;

/**
 * POSTs at a fixed rate, open loop, like {@link OpenLoopReader}: request i is due at {@code start + i /
 * rate} and its latency counts from that due time, so a stall shows in the figures instead of lowering
 * the rate. Every request's due time is kept as wall-clock microseconds, so a caller can take the
 * percentiles of the requests due inside another load's window (the storm's).
 */
final class OpenLoopWriter {

    static final int MAX_IN_FLIGHT = 1024;

    /** One request to send: its body and headers (name, value pairs). */
    record Post(byte[] body, String... headers) {}

    /** Every request of one window: due time (epoch µs), latency (µs; 0 = no answer in time) and status. */
    record Samples(double rate, long[] dueEpochMicros, long[] latencyMicros, int[] status) {

        /** Latencies of the requests due in {@code [fromMicros, toMicros)} (epoch), with their status counts. */
        Window window(long fromMicros, long toMicros) {
            Histogram h = new Histogram(TimeUnit.MINUTES.toMicros(2), 3);
            Map<Integer, Integer> statuses = new TreeMap<>();
            int unanswered = 0;
            for (int i = 0; i < dueEpochMicros.length; i++) {
                if (dueEpochMicros[i] < fromMicros || dueEpochMicros[i] >= toMicros) {
                    continue;
                }
                if (latencyMicros[i] == 0) {
                    unanswered++;
                    continue;
                }
                h.recordValue(Math.min(Math.max(1, latencyMicros[i]), TimeUnit.MINUTES.toMicros(2)));
                statuses.merge(status[i], 1, Integer::sum);
            }
            return new Window(h, statuses, unanswered);
        }

        Window all() {
            return window(Long.MIN_VALUE, Long.MAX_VALUE);
        }
    }

    /** Figures of the requests of one window. */
    record Window(Histogram latencyMicros, Map<Integer, Integer> statuses, int unanswered) {

        double p(double percentile) {
            return latencyMicros.getTotalCount() == 0
                    ? Double.NaN
                    : latencyMicros.getValueAtPercentile(percentile) / 1000.0;
        }

        long count() {
            return latencyMicros.getTotalCount() + unanswered;
        }

        int ok() {
            return statuses.getOrDefault(200, 0);
        }
    }

    private final HttpClient client;
    private final ExecutorService io;

    OpenLoopWriter() {
        io = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "bench-writer-io");
            t.setDaemon(true);
            return t;
        });
        client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .executor(io)
                .build();
    }

    /** Sends {@code rate × seconds} POSTs of {@code post.apply(i)} to {@code url}. */
    Samples run(URI url, double rate, int seconds, IntFunction<Post> post) throws InterruptedException {
        int n = (int) Math.round(rate * seconds);
        long[] due = new long[n];
        long[] latency = new long[n];
        int[] status = new int[n];
        Semaphore permits = new Semaphore(MAX_IN_FLIGHT);
        AtomicInteger done = new AtomicInteger();
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
        long epochAtStart = System.currentTimeMillis() * 1000 + 20_000;
        double period = 1e9 / rate;
        for (int i = 0; i < n; i++) {
            long dueNanos = start + (long) (i * period);
            due[i] = epochAtStart + (dueNanos - start) / 1000;
            long wait = dueNanos - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            permits.acquire();
            Post p = post.apply(i);
            HttpRequest.Builder b = HttpRequest.newBuilder(url)
                    .timeout(Duration.ofSeconds(10))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(p.body()));
            for (int h = 0; h + 1 < p.headers().length; h += 2) {
                b.header(p.headers()[h], p.headers()[h + 1]);
            }
            final int index = i;
            client.sendAsync(b.build(), HttpResponse.BodyHandlers.discarding()).whenComplete((response, error) -> {
                latency[index] = Math.max(1, (System.nanoTime() - dueNanos) / 1000);
                status[index] = error != null ? -1 : response.statusCode();
                done.incrementAndGet();
                permits.release();
            });
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (done.get() < n && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return new Samples(rate, due, latency, status);
    }

    void close() {
        io.shutdownNow();
    }
}
