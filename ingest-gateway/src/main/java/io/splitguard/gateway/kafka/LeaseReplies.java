package io.splitguard.gateway.kafka;

import io.micronaut.context.annotation.Context;
import io.splitguard.gateway.config.ClientProperties;
import io.splitguard.gateway.config.KafkaSettings;
import io.splitguard.schemas.json.JsonSerde;
import io.splitguard.schemas.model.LeaseDecision;
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
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reply side of the lease API: reads the lease-decisions topic (read_committed, every partition,
 * no consumer group) from its end as of start-up on one background thread, and completes the request
 * waiting for each decision's {@code request_id}. Only requests of this instance wait here; a decision
 * nobody waits for (another instance's, or one that came after its request gave up) is dropped. Memory
 * is bounded by the requests in flight.
 *
 * <p>Until the consumer holds a position on every partition ({@link #ready()}) a decision could be
 * missed, so the API answers 503 at once instead of sending a command.
 */
@Context
public class LeaseReplies implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LeaseReplies.class);

    private final String topic;
    private final Consumer<String, LeaseDecision> consumer;
    private final Map<String, CompletableFuture<LeaseDecision>> waiters = new ConcurrentHashMap<>();
    private final Thread thread;
    private final Object stopSignal = new Object();
    private volatile boolean running = true;
    private volatile boolean ready;

    public LeaseReplies(TopicCatalog catalog, KafkaSettings kafka, ClientProperties extra) {
        this(catalog, consumer(catalog, kafka, extra));
    }

    /** With a given consumer (tests); starts reading at once. */
    LeaseReplies(TopicCatalog catalog, Consumer<String, LeaseDecision> consumer) {
        this.topic = catalog.leaseDecisions.name();
        this.consumer = consumer;
        this.thread = new Thread(this::run, "gateway-lease-replies");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private static Consumer<String, LeaseDecision> consumer(
            TopicCatalog catalog, KafkaSettings kafka, ClientProperties extra) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.getBootstrapServers());
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "splitguard-gateway-leases-" + UUID.randomUUID());
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        config.putAll(extra.consumer());
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        return new KafkaConsumer<>(
                config,
                catalog.leaseDecisions.keySerde().deserializer(),
                JsonSerde.unchecked(LeaseDecision.class).deserializer());
    }

    /** True once every partition has a position: from then on no decision for a new request is missed. */
    public boolean ready() {
        return ready;
    }

    /**
     * A future completed with the decision on {@code requestId}. Register before sending the command, so
     * a fast decision cannot be missed; {@link #forget} when done waiting.
     */
    public CompletableFuture<LeaseDecision> await(String requestId) {
        return waiters.computeIfAbsent(requestId, id -> new CompletableFuture<>());
    }

    public void forget(String requestId) {
        waiters.remove(requestId);
    }

    /** Requests of this instance waiting for a decision. */
    public int waiting() {
        return waiters.size();
    }

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
                } catch (RuntimeException e) {
                    if (!running) {
                        return;
                    }
                    LOG.warn("lease replies failed ({}); retrying in {} ms", e.toString(), backoffMs);
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
                LOG.debug("lease replies consumer did not close cleanly: {}", e.toString());
            }
        }
    }

    private void read() throws InterruptedException {
        if (!ready) {
            List<TopicPartition> partitions = assign();
            if (partitions.isEmpty()) {
                return;
            }
            consumer.seekToEnd(partitions);
            // resolve the positions now: a decision appended after this point is read
            for (TopicPartition partition : partitions) {
                consumer.position(partition, Duration.ofSeconds(10));
            }
            ready = true;
            LOG.info("lease replies reading {} from its end", topic);
        }
        while (running) {
            try {
                for (ConsumerRecord<String, LeaseDecision> record : consumer.poll(Duration.ofMillis(200))) {
                    apply(record.value());
                }
            } catch (RecordDeserializationException e) {
                LOG.warn(
                        "skipping unreadable lease decision at {}@{}: {}",
                        e.topicPartition(),
                        e.offset(),
                        e.getMessage());
                consumer.seek(e.topicPartition(), e.offset() + 1);
            }
        }
    }

    private List<TopicPartition> assign() throws InterruptedException {
        while (running) {
            try {
                List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(2));
                if (infos != null && !infos.isEmpty()) {
                    List<TopicPartition> partitions = infos.stream()
                            .map(p -> new TopicPartition(p.topic(), p.partition()))
                            .toList();
                    consumer.assign(partitions);
                    return partitions;
                }
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                LOG.debug("lease decisions topic {} not reachable yet: {}", topic, e.getMessage());
            }
            synchronized (stopSignal) {
                if (running) {
                    stopSignal.wait(500);
                }
            }
        }
        return List.of();
    }

    void apply(LeaseDecision decision) {
        if (decision == null || decision.requestId() == null) {
            return;
        }
        CompletableFuture<LeaseDecision> waiter = waiters.remove(decision.requestId());
        if (waiter != null) {
            waiter.complete(decision);
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
