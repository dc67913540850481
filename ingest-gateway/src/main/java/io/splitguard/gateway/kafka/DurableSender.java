package io.splitguard.gateway.kafka;

import io.splitguard.gateway.config.ClientProperties;
import io.splitguard.gateway.config.GatewaySettings;
import io.splitguard.gateway.config.KafkaSettings;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's one way to Kafka: every record a client's 2xx depends on (mutations, checkpoints) goes
 * through this one producer, with {@code acks=all} and idempotence.
 *
 * <p>{@code send} may block (metadata, a full buffer), so it runs on a small pool of its own with a
 * bounded queue, never on the event loop; values are serialized there too. A send that certainly
 * appended nothing fails with {@link NotSentException}: not handed to the producer within the hand-off
 * bound (and then never started later, since its request was already answered), a full queue, a
 * shutdown, more produces in flight than {@code max-in-flight}, a value that cannot be serialized, or a
 * record the producer refused synchronously. Any
 * other failure is the producer's error: indeterminate, the record may have been appended.
 */
@Singleton
public class DurableSender implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DurableSender.class);

    private static final int QUEUED = 0;
    private static final int HANDED_OFF = 1;
    private static final int ABANDONED = 2;

    /** Producer settings the durable-ack promise depends on; pass-through properties may not change them. */
    static final Set<String> GUARDED = Set.of(
            ProducerConfig.ACKS_CONFIG,
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
            ProducerConfig.MAX_BLOCK_MS_CONFIG,
            ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
            ProducerConfig.TRANSACTIONAL_ID_CONFIG);

    private final Producer<String, byte[]> producer;
    private final ThreadPoolExecutor sendPool;
    private final ScheduledThreadPoolExecutor deadlines;
    private final Duration handoff;
    /** One permit per produce in flight, from the call to its completion. */
    private final Semaphore inFlight;

    private final int maxInFlight;

    @Inject
    public DurableSender(KafkaSettings kafka, GatewaySettings gateway, ClientProperties extra) {
        this(
                gateway,
                new KafkaProducer<>(
                        producerConfig(kafka, gateway, extra.producer()),
                        new StringSerializer(),
                        new ByteArraySerializer()));
    }

    /** Around a given producer: tests use Kafka's {@code MockProducer} to decide when and how a send ends. */
    DurableSender(GatewaySettings gateway, Producer<String, byte[]> producer) {
        this.producer = producer;
        this.handoff = gateway.getSendHandoffTimeout();
        this.maxInFlight = gateway.getMaxInFlight();
        this.inFlight = new Semaphore(maxInFlight);
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
        this.deadlines = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "gateway-send-deadlines");
            t.setDaemon(true);
            return t;
        });
        this.deadlines.setRemoveOnCancelPolicy(true);
    }

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

    /**
     * Sends {@code value} (serialized with {@code values} on the send pool) to {@code topic} under {@code
     * key}; completes with the broker's acknowledgement. See the class comment for how it fails.
     */
    public <V> CompletableFuture<RecordMetadata> send(String topic, String key, V value, Serializer<V> values) {
        CompletableFuture<RecordMetadata> result = new CompletableFuture<>();
        if (!inFlight.tryAcquire()) {
            // at the bound: answered at once, nothing handed to the producer, so nothing can be appended
            result.completeExceptionally(
                    new NotSentException(maxInFlight + " produces are already in flight on this instance", null));
            return result;
        }
        result.whenComplete((metadata, error) -> inFlight.release());
        AtomicInteger stage = new AtomicInteger(QUEUED);
        ScheduledFuture<?> deadline;
        try {
            deadline = deadlines.schedule(
                    () -> {
                        if (stage.compareAndSet(QUEUED, ABANDONED)) {
                            result.completeExceptionally(new NotSentException(
                                    "not handed to the producer within " + handoff.toMillis() + " ms", null));
                        }
                    },
                    handoff.toMillis(),
                    TimeUnit.MILLISECONDS);
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
                byte[] bytes = values.serialize(topic, value);
                producer.send(new ProducerRecord<>(topic, key, bytes), (metadata, error) -> {
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
                // thrown before the record reached the accumulator (serialization, metadata or buffer wait
                // past max.block.ms, record too large, closed producer): nothing can have been appended
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

    /** Partitions of {@code topic} as the producer's metadata knows them (may block up to max.block.ms). */
    public List<PartitionInfo> partitionsFor(String topic) {
        return producer.partitionsFor(topic);
    }

    /** The send pool, so a test can occupy it. */
    Executor sendPoolForTests() {
        return sendPool;
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
