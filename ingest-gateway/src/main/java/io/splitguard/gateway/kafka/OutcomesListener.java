package io.splitguard.gateway.kafka;

import io.micronaut.context.annotation.Context;
import io.splitguard.gateway.config.ClientProperties;
import io.splitguard.gateway.config.KafkaSettings;
import io.splitguard.gateway.idempotency.IdempotencyCache;
import io.splitguard.schemas.json.JsonSerde;
import io.splitguard.schemas.model.IdempotencyOutcome;
import io.splitguard.schemas.topics.TopicCatalog;
import jakarta.annotation.PreDestroy;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the compacted idempotency-outcomes topic from the beginning (read_committed, all partitions
 * assigned, no consumer group) on one background thread. Every outcome goes into the local cache, so
 * keys accepted by another instance are replayed here too; an outcome whose {@code last_request_id}
 * matches a waiting request completes that request's future ({@code Prefer: wait}).
 */
@Context
public class OutcomesListener implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(OutcomesListener.class);
    /** Bound of each end-offset and position request; a timeout is retried like any failure. */
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(5);

    private final TopicCatalog catalog;
    private final IdempotencyCache cache;
    private final Consumer<String, IdempotencyOutcome> consumer;
    private final Map<String, CompletableFuture<IdempotencyOutcome>> waiters = new ConcurrentHashMap<>();
    private final Thread thread;
    private final Object stopSignal = new Object();
    private volatile boolean running = true;
    private volatile boolean caughtUp;
    private volatile boolean paused;
    private volatile boolean failing;
    // touched only by the listener thread
    private List<TopicPartition> partitions;
    private Map<TopicPartition, Long> target;

    public OutcomesListener(TopicCatalog catalog, IdempotencyCache cache, KafkaSettings kafka, ClientProperties extra) {
        this(catalog, cache, consumer(catalog, kafka, extra));
    }

    /** With a given consumer (tests); starts reading at once. */
    OutcomesListener(TopicCatalog catalog, IdempotencyCache cache, Consumer<String, IdempotencyOutcome> consumer) {
        this.catalog = catalog;
        this.cache = cache;
        this.consumer = consumer;
        this.thread = new Thread(this::run, "gateway-outcomes");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private static Consumer<String, IdempotencyOutcome> consumer(
            TopicCatalog catalog, KafkaSettings kafka, ClientProperties extra) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.getBootstrapServers());
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "splitguard-gateway-outcomes-" + UUID.randomUUID());
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        config.putAll(extra.consumer());
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        return new KafkaConsumer<>(
                config,
                catalog.idempotencyOutcomes.keySerde().deserializer(),
                // Every gateway reads every outcome; the topology that writes them is ours, so the per-record
                // schema check is skipped here. Unmappable values still fail and are skipped below.
                JsonSerde.unchecked(IdempotencyOutcome.class).deserializer());
    }

    /**
     * A future completed with the outcome of {@code requestId} when it arrives. Register before
     * producing, so a fast verdict cannot be missed; {@link #forget} when done waiting.
     */
    public CompletableFuture<IdempotencyOutcome> await(String requestId) {
        return waiters.computeIfAbsent(requestId, id -> new CompletableFuture<>());
    }

    public void forget(String requestId) {
        waiters.remove(requestId);
    }

    /**
     * Operational hold: stop reading outcomes until {@link #resume()} (maintenance, and tests that
     * need a second instance not to learn a key yet). Waiting requests time out normally meanwhile.
     */
    public void pause() {
        paused = true;
    }

    public void resume() {
        paused = false;
        synchronized (stopSignal) {
            stopSignal.notifyAll();
        }
    }

    /** True once everything on the topic when this listener started has been read into the cache. */
    public boolean caughtUp() {
        return caughtUp;
    }

    /** True while the listener's last attempt failed and it is waiting to retry (it is then deaf to other instances). */
    public boolean failing() {
        return failing;
    }

    /**
     * Reads until closed. Any failure (brokers down at start, an end-offset or position timeout, a
     * lost connection) is retried with backoff for as long as the listener runs; meanwhile {@link
     * #failing()} is true and readiness says so.
     */
    private void run() {
        long backoffMs = 100;
        try {
            while (running) {
                try {
                    read();
                    return;
                } catch (WakeupException e) {
                    if (!running) {
                        return;
                    }
                    LOG.warn("outcomes listener woken up unexpectedly; continuing");
                } catch (RuntimeException e) {
                    if (!running) {
                        return;
                    }
                    failing = true;
                    LOG.warn("outcomes listener failed ({}); retrying in {} ms", e.toString(), backoffMs);
                    synchronized (stopSignal) {
                        if (running) {
                            stopSignal.wait(backoffMs);
                        }
                    }
                    backoffMs = Math.min(backoffMs * 2, 10_000);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                consumer.close(CloseOptions.timeout(Duration.ofSeconds(2)));
            } catch (RuntimeException e) {
                LOG.debug("outcomes consumer did not close cleanly: {}", e.toString());
            }
        }
    }

    private void read() throws InterruptedException {
        if (partitions == null) {
            partitions = assign();
            if (partitions.isEmpty()) {
                return;
            }
        }
        if (!caughtUp && target == null) {
            target = consumer.endOffsets(partitions, CALL_TIMEOUT);
        }
        while (running) {
            if (paused) {
                synchronized (stopSignal) {
                    if (running && paused) {
                        stopSignal.wait(50);
                    }
                }
                continue;
            }
            ConsumerRecords<String, IdempotencyOutcome> records;
            try {
                records = consumer.poll(Duration.ofMillis(200));
            } catch (RecordDeserializationException e) {
                LOG.warn("skipping unreadable outcome at {}@{}: {}", e.topicPartition(), e.offset(), e.getMessage());
                consumer.seek(e.topicPartition(), e.offset() + 1);
                continue;
            }
            if (failing) {
                failing = false;
                LOG.info("outcomes listener reading again");
            }
            if (paused && !records.isEmpty()) {
                // held while this poll was running: give the records back, read them after resume()
                for (TopicPartition partition : records.partitions()) {
                    consumer.seek(partition, records.records(partition).get(0).offset());
                }
                continue;
            }
            for (ConsumerRecord<String, IdempotencyOutcome> record : records) {
                apply(record.value());
            }
            if (!caughtUp && reached(target)) {
                caughtUp = true;
                LOG.info("idempotency outcomes loaded: {} keys in the local cache", cache.size());
            }
        }
    }

    private List<TopicPartition> assign() {
        String topic = catalog.idempotencyOutcomes.name();
        while (running) {
            try {
                List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(2));
                // a broker answered (a missing topic is "not caught up", not a failure)
                failing = false;
                if (infos != null && !infos.isEmpty()) {
                    List<TopicPartition> partitions = infos.stream()
                            .map(p -> new TopicPartition(p.topic(), p.partition()))
                            .toList();
                    consumer.assign(partitions);
                    consumer.seekToBeginning(partitions);
                    return partitions;
                }
                // the topic does not exist yet: wait a little before asking again
                synchronized (stopSignal) {
                    if (running) {
                        stopSignal.wait(500);
                    }
                }
            } catch (TimeoutException e) {
                // brokers unreachable: this instance hears no other instance's keys until they are back
                failing = true;
                LOG.debug("outcomes topic {} not reachable yet: {}", topic, e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return List.of();
            }
        }
        return List.of();
    }

    private boolean reached(Map<TopicPartition, Long> target) {
        for (Map.Entry<TopicPartition, Long> e : target.entrySet()) {
            if (consumer.position(e.getKey(), CALL_TIMEOUT) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    void apply(IdempotencyOutcome outcome) {
        if (outcome == null) {
            return;
        }
        cache.record(outcome);
        CompletableFuture<IdempotencyOutcome> waiter = waiters.remove(outcome.lastRequestId());
        if (waiter != null) {
            waiter.complete(outcome);
        }
    }

    @Override
    @PreDestroy
    public void close() {
        running = false;
        synchronized (stopSignal) {
            stopSignal.notifyAll();
        }
        consumer.wakeup();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        waiters.values().forEach(f -> f.cancel(false));
        waiters.clear();
    }
}
