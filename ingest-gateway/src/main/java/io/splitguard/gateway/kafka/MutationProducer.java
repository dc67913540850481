package io.splitguard.gateway.kafka;

import io.splitguard.gateway.config.ClientProperties;
import io.splitguard.gateway.config.GatewaySettings;
import io.splitguard.gateway.config.KafkaSettings;
import io.splitguard.schemas.model.MutationRequest;
import io.splitguard.schemas.topics.TopicCatalog;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes accepted mutations to the mutations-in topic with {@code acks=all} and idempotence on.
 * {@code send} may block (metadata, full buffer), so it runs on a small dedicated pool with a
 * bounded queue, never on the caller's (event loop) thread; the returned future completes from the
 * producer's callback. A full queue fails fast with {@link java.util.concurrent.RejectedExecutionException}.
 */
@Singleton
public class MutationProducer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MutationProducer.class);

    private final TopicCatalog catalog;
    private final Producer<String, MutationRequest> producer;
    private final ThreadPoolExecutor sendPool;
    private final java.util.concurrent.ScheduledExecutorService deadlines;
    private final Duration handoff;

    private static final int QUEUED = 0;
    private static final int HANDED_OFF = 1;
    private static final int ABANDONED = 2;

    @jakarta.inject.Inject
    public MutationProducer(
            TopicCatalog catalog, KafkaSettings kafka, GatewaySettings gateway, ClientProperties extra) {
        this(
                catalog,
                gateway,
                new KafkaProducer<>(
                        producerConfig(kafka, gateway, extra.producer()),
                        catalog.mutationsIn.keySerde().serializer(),
                        catalog.mutationsIn.valueSerde().serializer()));
    }

    /** Around a given producer: tests use Kafka's {@code MockProducer} to decide when and how a send ends. */
    MutationProducer(TopicCatalog catalog, GatewaySettings gateway, Producer<String, MutationRequest> producer) {
        this.catalog = catalog;
        this.producer = producer;
        AtomicInteger n = new AtomicInteger();
        this.sendPool = new ThreadPoolExecutor(
                gateway.getSendThreads(),
                gateway.getSendThreads(),
                0,
                TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(gateway.getSendQueue()),
                r -> {
                    Thread t = new Thread(r, "gateway-send-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                },
                new ThreadPoolExecutor.AbortPolicy());
        this.handoff = gateway.getSendHandoffTimeout();
        java.util.concurrent.ScheduledThreadPoolExecutor timer =
                new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
                    Thread t = new Thread(r, "gateway-send-deadlines");
                    t.setDaemon(true);
                    return t;
                });
        timer.setRemoveOnCancelPolicy(true);
        this.deadlines = timer;
    }

    /** Producer settings the durable-ack promise depends on; pass-through properties may not change them. */
    static final java.util.Set<String> GUARDED = java.util.Set.of(
            ProducerConfig.ACKS_CONFIG,
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
            ProducerConfig.MAX_BLOCK_MS_CONFIG,
            ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
            ProducerConfig.TRANSACTIONAL_ID_CONFIG);

    static Map<String, Object> producerConfig(KafkaSettings kafka, GatewaySettings gateway, Map<String, Object> extra) {
        long delivery = gateway.getDeliveryTimeout().toMillis();
        int linger = Math.max(0, gateway.getLingerMs());
        // Kafka requires delivery.timeout.ms >= linger.ms + request.timeout.ms
        long request = Math.max(1, Math.min(30_000, delivery - linger));
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.getBootstrapServers());
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "splitguard-gateway-" + UUID.randomUUID());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.LINGER_MS_CONFIG, linger);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) delivery);
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) request);
        // How long send() may block for metadata or buffer space: a request that cannot be handed to the
        // producer within the hand-off bound gets its 503 at once instead of seconds later.
        config.put(
                ProducerConfig.MAX_BLOCK_MS_CONFIG,
                gateway.getSendHandoffTimeout().toMillis());
        extra.forEach((key, value) -> {
            if (GUARDED.contains(key)) {
                throw new IllegalArgumentException("producer setting '" + key + "' cannot be overridden: the"
                        + " gateway's durable-ack promise depends on it (it is " + config.get(key) + ")");
            }
            config.put(key, value);
        });
        return config;
    }

    private java.util.concurrent.ScheduledFuture<?> scheduleDeadline(
            CompletableFuture<RecordMetadata> result, AtomicInteger stage) {
        return deadlines.schedule(
                () -> {
                    if (stage.compareAndSet(QUEUED, ABANDONED)) {
                        result.completeExceptionally(new NotSentException(
                                "not handed to the producer within " + handoff.toMillis() + " ms", null));
                    }
                },
                handoff.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /**
     * Sends {@code value} keyed by its session id. The future fails with {@link NotSentException} when
     * nothing can have been appended (the send was not handed to the producer within the hand-off bound,
     * or the producer refused it synchronously), and with the producer's error otherwise (indeterminate).
     * A send abandoned at its hand-off deadline is never started later: nothing is sent for a request
     * that was already answered.
     */
    public CompletableFuture<RecordMetadata> send(MutationRequest value) {
        CompletableFuture<RecordMetadata> result = new CompletableFuture<>();
        ProducerRecord<String, MutationRequest> record =
                new ProducerRecord<>(catalog.mutationsIn.name(), value.sessionId(), value);
        AtomicInteger stage = new AtomicInteger(QUEUED);
        java.util.concurrent.ScheduledFuture<?> deadline;
        try {
            deadline = scheduleDeadline(result, stage);
        } catch (RejectedExecutionException e) {
            // the gateway is stopping: nothing was handed to the producer, so nothing can be appended
            result.completeExceptionally(new NotSentException("the gateway is shutting down", e));
            return result;
        }
        Runnable task = () -> {
            if (!stage.compareAndSet(QUEUED, HANDED_OFF)) {
                return; // abandoned at its deadline and already answered
            }
            deadline.cancel(false);
            Thread caller = Thread.currentThread();
            AtomicInteger returned = new AtomicInteger();
            try {
                producer.send(record, (metadata, error) -> {
                    if (error == null) {
                        result.complete(metadata);
                    } else if (returned.get() == 0 && Thread.currentThread() == caller) {
                        // reported by send() itself, before the record reached the accumulator (e.g. no
                        // metadata within max.block.ms): nothing can have been appended
                        result.completeExceptionally(new NotSentException("the producer refused the record", error));
                    } else {
                        result.completeExceptionally(error);
                    }
                });
                returned.set(1);
            } catch (RuntimeException e) {
                // thrown by send() itself (metadata or buffer wait past max.block.ms, serialization,
                // record too large, closed producer): the record never reached the accumulator
                result.completeExceptionally(new NotSentException("the producer refused the record", e));
            }
        };
        try {
            sendPool.execute(task);
        } catch (RejectedExecutionException e) {
            deadline.cancel(false);
            if (stage.compareAndSet(QUEUED, ABANDONED)) {
                result.completeExceptionally(new NotSentException("the send queue is full", e));
            }
        }
        return result;
    }

    /** The send pool, so a test can occupy it. */
    java.util.concurrent.Executor sendPoolForTests() {
        return sendPool;
    }

    /** Partitions of the mutations-in topic as the producer's metadata knows them (may block up to max.block.ms). */
    public List<PartitionInfo> mutationsInPartitions() {
        return producer.partitionsFor(catalog.mutationsIn.name());
    }

    @Override
    @PreDestroy
    public void close() {
        deadlines.shutdownNow();
        sendPool.shutdown();
        try {
            if (!sendPool.awaitTermination(5, TimeUnit.SECONDS)) {
                sendPool.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            producer.close(Duration.ofSeconds(5));
        } catch (RuntimeException e) {
            LOG.warn("producer did not close cleanly: {}", e.toString());
        }
    }
}
