package io.splitguard.gateway.idempotency;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.UUID;

/**
 * Measures the gateway's idempotency memory: retained heap per remembered key of the DONE answers
 * (Caffeine {@code done} map plus its (tenant, key) lookup index, keys and answer bytes included), of
 * the membership filter per expected key, and the time per claim. Not a test: run it by hand (see
 * docs/BENCHMARKS.md, "Gateway idempotency memory").
 *
 * <p>Arguments: keys remembered (default 200000, the default {@code cache-max-entries}), keys the
 * filter is sized for (default 2000000, the default {@code filter-expected-keys}).
 */
public final class IdempotencyMemoryMeasure {

    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final String ROUTE = "crm.contact.update";

    private IdempotencyMemoryMeasure() {}

    public static void main(String[] args) {
        int keys = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        long filterKeys = args.length > 1 ? Long.parseLong(args[1]) : 2_000_000;
        System.out.printf(
                "java %s, %s, %d cpus, max heap %d MiB%n",
                System.getProperty("java.version"),
                System.getProperty("java.vm.name"),
                Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20);

        // 1. DONE answers: the filter is kept at its minimum size so that it does not count here
        long before = usedAfterGc();
        IdempotencyCache cache = new IdempotencyCache(Duration.ofHours(24), keys, 1_000);
        long empty = usedAfterGc();
        fill(cache, keys, 0);
        long filled = usedAfterGc();
        System.out.printf(
                "done map + (tenant, key) index: %d keys, %.1f MiB retained, %.0f bytes per key"
                        + " (empty cache %d bytes)%n",
                cache.size(), (filled - empty) / 1048576.0, (filled - empty) / (double) keys, empty - before);
        keepAlive(cache);

        // 2. membership filter: two Bloom generations, allocated in full when the filter is created
        long beforeFilter = usedAfterGc();
        KeyFilter filter = new KeyFilter(Clock.systemUTC(), Duration.ofHours(24), filterKeys, 0.01);
        long afterFilter = usedAfterGc();
        for (int i = 0; i < Math.min(filterKeys, 1_000_000); i++) {
            filter.put("k" + i);
        }
        long afterPut = usedAfterGc();
        System.out.printf(
                "key filter sized for %d keys: %.1f MiB, %.2f bytes per expected key (both generations),"
                        + " %.2f per generation; %d bytes more after 1M puts%n",
                filterKeys,
                (afterFilter - beforeFilter) / 1048576.0,
                (afterFilter - beforeFilter) / (double) filterKeys,
                (afterFilter - beforeFilter) / (double) filterKeys / 2,
                afterPut - afterFilter);
        keepAlive(filter);

        // 3. CPU time per operation (this thread's), default-sized cache and filter, after warm-up
        int rounds = 7;
        int perRound = Math.min(keys, 100_000);
        double[] firstNs = new double[rounds];
        double[] replayNs = new double[rounds];
        double[] lookupNs = new double[rounds];
        byte[] body = IdempotencyCache.bytes(IdempotencyCache.acceptedBody(
                "key-" + UUID.randomUUID(), "sess-" + UUID.randomUUID(), hash(), Instant.now(), false));
        for (int r = 0; r < rounds; r++) {
            // a fresh cache per round, so that every delivery of a round is still remembered when replayed
            IdempotencyCache timed = new IdempotencyCache(Duration.ofHours(24), keys, filterKeys);
            CachedEntry.Delivery[] deliveries = deliveries(perRound, r);
            long t0 = cpuNanos();
            for (CachedEntry.Delivery d : deliveries) {
                timed.claim(d);
                timed.complete(d.scopedKey(), d.requestId(), 200, body);
            }
            long t1 = cpuNanos();
            int replays = 0;
            for (CachedEntry.Delivery d : deliveries) {
                if (timed.claim(d) instanceof Claim.Replay) {
                    replays++;
                }
            }
            long t2 = cpuNanos();
            int found = 0;
            for (CachedEntry.Delivery d : deliveries) {
                if (timed.findDone(d.tenant(), d.idempotencyKey()).isPresent()) {
                    found++;
                }
            }
            long t3 = cpuNanos();
            firstNs[r] = (t1 - t0) / (double) perRound;
            replayNs[r] = (t2 - t1) / (double) perRound;
            lookupNs[r] = (t3 - t2) / (double) perRound;
            if (replays != perRound || found != perRound) {
                throw new IllegalStateException("replays " + replays + ", found " + found);
            }
        }
        System.out.printf(
                "CPU ns per first delivery (claim + complete): %s; median of the last 5 %.0f%n",
                Arrays.toString(round(firstNs)), median(firstNs));
        System.out.printf(
                "CPU ns per replay claim: %s; median of the last 5 %.0f%n",
                Arrays.toString(round(replayNs)), median(replayNs));
        System.out.printf(
                "CPU ns per GET lookup (findDone, hit): %s; median of the last 5 %.0f%n",
                Arrays.toString(round(lookupNs)), median(lookupNs));
    }

    /** Keys shaped like the gateway's: tenant, route, a UUID session id and a UUID key. */
    private static CachedEntry.Delivery[] deliveries(int n, int round) {
        CachedEntry.Delivery[] out = new CachedEntry.Delivery[n];
        Instant start = Instant.now();
        for (int i = 0; i < n; i++) {
            String session = "sess-" + UUID.randomUUID();
            String key = "key-" + UUID.randomUUID();
            out[i] = new CachedEntry.Delivery(
                    io.splitguard.schemas.model.IdempotencyKeys.scoped("acme", ROUTE, session, key),
                    UUID.randomUUID().toString(),
                    "acme",
                    key,
                    ROUTE,
                    session,
                    hash(),
                    false,
                    start.plusNanos(1_000L * i + round));
        }
        return out;
    }

    private static void fill(IdempotencyCache cache, int n, int round) {
        CachedEntry.Delivery[] ds = deliveries(n, round);
        for (CachedEntry.Delivery d : ds) {
            cache.claim(d);
            // the answer the gateway remembers: the accepted body of this very key
            byte[] body = IdempotencyCache.bytes(IdempotencyCache.acceptedBody(
                    d.idempotencyKey(), d.sessionId(), d.payloadHash(), d.receivedAt(), false));
            cache.complete(d.scopedKey(), d.requestId(), 200, body);
        }
        // the deliveries themselves are garbage after this: only what the cache retains stays
    }

    /** A distinct payload hash, as every real key has its own. */
    private static String hash() {
        return "sha256:" + (UUID.randomUUID().toString() + UUID.randomUUID()).replace("-", "");
    }

    /** CPU time of this thread: on a shared machine, descheduled time does not count. */
    private static long cpuNanos() {
        return THREADS.getCurrentThreadCpuTime();
    }

    private static long usedAfterGc() {
        for (int i = 0; i < 4; i++) {
            System.gc();
        }
        return MEMORY.getHeapMemoryUsage().getUsed();
    }

    private static volatile Object sink;

    private static void keepAlive(Object o) {
        sink = o;
    }

    private static long[] round(double[] values) {
        long[] out = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Math.round(values[i]);
        }
        return out;
    }

    private static double median(double[] values) {
        double[] last = Arrays.copyOfRange(values, 2, values.length);
        Arrays.sort(last);
        return last[last.length / 2];
    }
}
