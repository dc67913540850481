package io.splitguard.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import org.HdrHistogram.Histogram;

/**
 * Reads at a fixed rate, open loop: request i is due at {@code start + i / rate}, and its latency is
 * counted from that due time, not from when it was actually sent, so a stall of the server (or of this
 * client) shows in the figures instead of silently lowering the rate (no coordinated omission). When
 * {@link #MAX_IN_FLIGHT} requests are unanswered the sender waits for one to finish; the requests it
 * then sends late are still timed from their due time, and none is skipped.
 */
final class OpenLoopReader {

    static final int MAX_IN_FLIGHT = 1024;

    /** A request's outcome: {@code OK} 200 with the expected content, {@code WRONG} 200 without it. */
    enum Outcome {
        OK,
        WRONG,
        ERROR
    }

    /** Figures of one window; {@code perSecond} has the p99 (ms) and the non-OK count of each second. */
    record Result(
            String name,
            double rate,
            int seconds,
            int sent,
            int ok,
            int wrong,
            int errors,
            Histogram latencyMicros,
            double maxSendLagMs,
            List<double[]> perSecond,
            String firstProblem) {

        double p(double percentile) {
            return latencyMicros.getValueAtPercentile(percentile) / 1000.0;
        }
    }

    /** Decides whether a 200 answer's body is what a seeded session must get. */
    interface Check {
        boolean ok(String body);
    }

    private final HttpClient client;
    private final ExecutorService io;

    OpenLoopReader() {
        io = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "bench-reader-io");
            t.setDaemon(true);
            return t;
        });
        client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .executor(io)
                .build();
    }

    /**
     * Sends {@code rate × seconds} GETs to {@code url.apply(random session index)}; {@code at} actions run
     * (on their own thread) when the window reaches their second.
     */
    Result run(
            String name,
            double rate,
            int seconds,
            int sessions,
            IntFunction<URI> url,
            String token,
            Check check,
            List<TimedAction> at)
            throws InterruptedException {
        int n = (int) Math.round(rate * seconds);
        long[] latency = new long[n];
        byte[] outcome = new byte[n];
        Semaphore permits = new Semaphore(MAX_IN_FLIGHT);
        AtomicInteger done = new AtomicInteger();
        String[] firstProblem = new String[1];
        SplittableRandom random = new SplittableRandom(n * 31L + sessions);
        List<Thread> actions = new ArrayList<>();
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
        for (TimedAction action : at) {
            Thread t = new Thread(
                    () -> {
                        long wait = start + TimeUnit.SECONDS.toNanos(action.second()) - System.nanoTime();
                        if (wait > 0) {
                            LockSupport.parkNanos(wait);
                        }
                        action.run().run();
                    },
                    "bench-action");
            t.setDaemon(true);
            t.start();
            actions.add(t);
        }
        double period = 1e9 / rate;
        long maxLag = 0;
        for (int i = 0; i < n; i++) {
            long due = start + (long) (i * period);
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            permits.acquire();
            maxLag = Math.max(maxLag, System.nanoTime() - due);
            HttpRequest.Builder b = HttpRequest.newBuilder(url.apply(random.nextInt(sessions)))
                    .timeout(Duration.ofSeconds(10))
                    .GET();
            if (token != null) {
                b.header("Authorization", "Bearer " + token);
            }
            final int index = i;
            client.sendAsync(b.build(), HttpResponse.BodyHandlers.ofByteArray()).whenComplete((response, error) -> {
                latency[index] = (System.nanoTime() - due) / 1000;
                Outcome o;
                if (error != null) {
                    o = Outcome.ERROR;
                    problem(firstProblem, error.toString());
                } else if (response.statusCode() != 200) {
                    o = Outcome.ERROR;
                    problem(firstProblem, response.statusCode() + " " + body(response));
                } else if (!check.ok(body(response))) {
                    o = Outcome.WRONG;
                    problem(firstProblem, "200 " + body(response));
                } else {
                    o = Outcome.OK;
                }
                outcome[index] = (byte) o.ordinal();
                done.incrementAndGet();
                permits.release();
            });
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (done.get() < n && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        for (Thread t : actions) {
            t.join(TimeUnit.MINUTES.toMillis(2));
        }
        synchronized (firstProblem) {
            return summarise(name, rate, seconds, n, latency, outcome, done.get(), maxLag, firstProblem[0]);
        }
    }

    private static Result summarise(
            String name,
            double rate,
            int seconds,
            int n,
            long[] latency,
            byte[] outcome,
            int answered,
            long maxLag,
            String firstProblem) {
        Histogram all = new Histogram(TimeUnit.MINUTES.toMicros(2), 3);
        int ok = 0;
        int wrong = 0;
        int errors = n - answered;
        List<double[]> perSecond = new ArrayList<>();
        int perSec = (int) Math.round(rate);
        for (int s = 0; s * perSec < n; s++) {
            Histogram h = new Histogram(TimeUnit.MINUTES.toMicros(2), 3);
            int bad = 0;
            for (int i = s * perSec; i < Math.min(n, (s + 1) * perSec); i++) {
                long l = Math.min(Math.max(latency[i], 1), TimeUnit.MINUTES.toMicros(2));
                if (latency[i] == 0) {
                    bad++; // not answered in time: counted as an error, no latency
                    continue;
                }
                h.recordValue(l);
                all.recordValue(l);
                if (outcome[i] == Outcome.OK.ordinal()) {
                    ok++;
                } else if (outcome[i] == Outcome.WRONG.ordinal()) {
                    wrong++;
                    bad++;
                } else {
                    errors++;
                    bad++;
                }
            }
            perSecond.add(new double[] {h.getValueAtPercentile(99) / 1000.0, bad, h.getMaxValue() / 1000.0});
        }
        return new Result(name, rate, seconds, n, ok, wrong, errors, all, maxLag / 1e6, perSecond, firstProblem);
    }

    private static String body(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    private static void problem(String[] first, String what) {
        synchronized (first) {
            if (first[0] == null) {
                first[0] = what.length() > 300 ? what.substring(0, 300) : what;
            }
        }
    }

    /** Something to do (a rebalance) at a second of the window. */
    record TimedAction(int second, Runnable run) {}

    void close() {
        io.shutdownNow();
    }
}
