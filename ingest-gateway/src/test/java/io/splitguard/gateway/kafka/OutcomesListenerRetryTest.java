package io.splitguard.gateway.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.splitguard.gateway.idempotency.IdempotencyCache;
import io.splitguard.schemas.model.IdempotencyKeys;
import io.splitguard.schemas.model.IdempotencyOutcome;
import io.splitguard.schemas.model.Verdict;
import io.splitguard.schemas.topics.TopicCatalog;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * The outcomes listener never gives up: end-offset and position requests that time out (brokers down
 * at start or during catch-up) are retried with backoff, and meanwhile it reports that it is failing.
 */
class OutcomesListenerRetryTest {

    private static final TopicCatalog CATALOG =
            TopicCatalog.builder().prefix("retry.").sessionPartitions(1).build();
    private static final String TOPIC = CATALOG.idempotencyOutcomes.name();
    private static final TopicPartition TP = new TopicPartition(TOPIC, 0);

    /** A consumer whose end-offset and position requests time out until told otherwise. */
    private static final class FlakyConsumer extends MockConsumer<String, IdempotencyOutcome> {
        final AtomicInteger endOffsetFailures;
        final AtomicInteger positionFailures;
        final AtomicInteger endOffsetCalls = new AtomicInteger();
        final AtomicInteger positionCalls = new AtomicInteger();
        volatile boolean brokersDown = true;

        FlakyConsumer(int endOffsetFailures, int positionFailures) {
            super("earliest");
            this.endOffsetFailures = new AtomicInteger(endOffsetFailures);
            this.positionFailures = new AtomicInteger(positionFailures);
        }

        @Override
        public Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> partitions, Duration timeout) {
            endOffsetCalls.incrementAndGet();
            if (brokersDown || endOffsetFailures.getAndDecrement() > 0) {
                throw new TimeoutException("end offsets: no broker answered");
            }
            return super.endOffsets(partitions, timeout);
        }

        @Override
        public synchronized long position(TopicPartition partition, Duration timeout) {
            positionCalls.incrementAndGet();
            if (positionFailures.getAndDecrement() > 0) {
                throw new TimeoutException("position: no broker answered");
            }
            return super.position(partition, timeout);
        }
    }

    private static IdempotencyOutcome outcome(String key) {
        String scoped = IdempotencyKeys.scoped("acme", "crm.contact.update", "s1", key);
        return new IdempotencyOutcome(
                scoped,
                key,
                "acme",
                "crm.contact.update",
                "s1",
                "sha256:a",
                IdempotencyOutcome.STATUS_APPLIED,
                1,
                Instant.now(),
                Instant.now(),
                "r1",
                Verdict.APPLIED,
                "sha256:a");
    }

    @Test
    void shouldRetryEndOffsetAndPositionTimeoutsUntilTheListenerCatchesUp() {
        FlakyConsumer consumer = new FlakyConsumer(1, 2);
        consumer.updatePartitions(TOPIC, List.of(new PartitionInfo(TOPIC, 0, Node.noNode(), null, null)));
        consumer.updateBeginningOffsets(Map.of(TP, 0L));
        consumer.updateEndOffsets(Map.of(TP, 1L));
        IdempotencyCache cache = new IdempotencyCache(Duration.ofHours(24), 1_000);

        try (OutcomesListener listener = new OutcomesListener(CATALOG, cache, consumer)) {
            // brokers down: end offsets keep failing, the listener says so and keeps trying
            await().atMost(Duration.ofSeconds(10)).until(listener::failing);
            await().atMost(Duration.ofSeconds(10)).until(() -> consumer.endOffsetCalls.get() >= 2);
            assertThat(listener.caughtUp()).isFalse();

            // brokers back, the outcome on the topic is delivered; end offsets time out once more, positions twice
            consumer.schedulePollTask(
                    () -> consumer.addRecord(new ConsumerRecord<>(TOPIC, 0, 0L, "k", outcome("k-retry"))));
            consumer.brokersDown = false;

            await().atMost(Duration.ofSeconds(60)).until(listener::caughtUp);
            assertThat(listener.failing()).isFalse();
            assertThat(consumer.positionCalls.get()).isGreaterThan(2);
            assertThat(cache.findDone("acme", "k-retry")).isPresent();
        }
    }
}
