package io.splitguard.gateway.kafka;

import io.splitguard.gateway.config.ClientProperties;
import io.splitguard.gateway.config.GatewaySettings;
import io.splitguard.gateway.config.KafkaSettings;
import io.splitguard.schemas.model.CheckpointRequest;
import io.splitguard.schemas.topics.TopicCatalog;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes accepted checkpoints to the checkpoints-in topic, keyed by session id, with the very producer
 * settings of {@link MutationProducer} ({@code acks=all}, idempotence, the hand-off bound as {@code
 * max.block.ms}, the delivery timeout). Like it, {@code send} runs on a small pool of its own with a
 * bounded queue, never on the event loop, and reports a send that certainly appended nothing as {@link
 * NotSentException}; any other failure is indeterminate.
 */
@Singleton
public class CheckpointProducer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CheckpointProducer.class);

    private static final int QUEUED = 0;
    private static final int HANDED_OFF = 1;
    private static final int ABANDONED = 2;

    private final String topic;
    private final Producer<String, CheckpointRequest> producer;
    private final ThreadPoolExecutor sendPool;
    private final ScheduledThreadPoolExecutor deadlines;
    private final Duration handoff;

    @Inject
    public CheckpointProducer(
            TopicCatalog catalog, KafkaSettings kafka, GatewaySettings gateway, ClientProperties extra) {
        this(
                catalog,
                gateway,
                new KafkaProducer<>(
                        MutationProducer.producerConfig(kafka, gateway, extra.producer()),
                        catalog.checkpointsIn.keySerde().serializer(),
                        catalog.checkpointsIn.valueSerde().serializer()));
    }

    /** Around a given producer (tests: Kafka's {@code MockProducer}). */
    CheckpointProducer(TopicCatalog catalog, GatewaySettings gateway, Producer<String, CheckpointRequest> producer) {
        this.topic = catalog.checkpointsIn.name();
        this.producer = producer;
        this.handoff = gateway.getSendHandoffTimeout();
        AtomicInteger n = new AtomicInteger();
        this.sendPool = new ThreadPoolExecutor(
                gateway.getSendThreads(),
                gateway.getSendThreads(),
                0,
                TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(gateway.getSendQueue()),
                r -> {
                    Thread t = new Thread(r, "gateway-checkpoint-send-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                },
                new ThreadPoolExecutor.AbortPolicy());
        this.deadlines = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "gateway-checkpoint-send-deadlines");
            t.setDaemon(true);
            return t;
        });
        this.deadlines.setRemoveOnCancelPolicy(true);
    }

    /**
     * Sends {@code value} keyed by its session id; completes with the broker's acknowledgement, as the
     * record's position {@code partition:offset} on checkpoints-in, fails with {@link NotSentException} when nothing can have been appended and with the
     * producer's error otherwise. A send abandoned at its hand-off deadline is never started later.
     */
    public CompletableFuture<String> send(CheckpointRequest value) {
        CompletableFuture<String> result = new CompletableFuture<>();
        ProducerRecord<String, CheckpointRequest> record = new ProducerRecord<>(topic, value.sessionId(), value);
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
            result.completeExceptionally(new NotSentException("the gateway is shutting down", e));
            return result;
        }
        Runnable task = () -> {
            if (!stage.compareAndSet(QUEUED, HANDED_OFF)) {
                return;
            }
            deadline.cancel(false);
            Thread caller = Thread.currentThread();
            AtomicInteger returned = new AtomicInteger();
            try {
                producer.send(record, (metadata, error) -> {
                    if (error == null) {
                        result.complete(metadata.partition() + ":" + metadata.offset());
                    } else if (returned.get() == 0 && Thread.currentThread() == caller) {
                        result.completeExceptionally(new NotSentException("the producer refused the record", error));
                    } else {
                        result.completeExceptionally(error);
                    }
                });
                returned.set(1);
            } catch (RuntimeException e) {
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
            LOG.warn("checkpoint producer did not close cleanly: {}", e.toString());
        }
    }
}
