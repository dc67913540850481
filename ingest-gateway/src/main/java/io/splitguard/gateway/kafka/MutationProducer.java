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

    public MutationProducer(
            TopicCatalog catalog, KafkaSettings kafka, GatewaySettings gateway, ClientProperties extra) {
        this.catalog = catalog;
        this.producer = new KafkaProducer<>(
                producerConfig(kafka, gateway, extra.producer()),
                catalog.mutationsIn.keySerde().serializer(),
                catalog.mutationsIn.valueSerde().serializer());
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
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, delivery);
        config.putAll(extra);
        return config;
    }

    /** Sends {@code value} keyed by its session id; the future fails on any produce error or rejection. */
    public CompletableFuture<RecordMetadata> send(MutationRequest value) {
        CompletableFuture<RecordMetadata> result = new CompletableFuture<>();
        ProducerRecord<String, MutationRequest> record =
                new ProducerRecord<>(catalog.mutationsIn.name(), value.sessionId(), value);
        try {
            sendPool.execute(() -> {
                try {
                    producer.send(record, (metadata, error) -> {
                        if (error != null) {
                            result.completeExceptionally(error);
                        } else {
                            result.complete(metadata);
                        }
                    });
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(e);
        }
        return result;
    }

    /** Partitions of the mutations-in topic as the producer's metadata knows them (may block up to max.block.ms). */
    public List<PartitionInfo> mutationsInPartitions() {
        return producer.partitionsFor(catalog.mutationsIn.name());
    }

    @Override
    @PreDestroy
    public void close() {
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
