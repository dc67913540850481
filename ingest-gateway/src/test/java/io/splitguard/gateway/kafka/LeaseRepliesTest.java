package io.splitguard.gateway.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.splitguard.schemas.model.LeaseCommand;
import io.splitguard.schemas.model.LeaseDecision;
import io.splitguard.schemas.topics.TopicCatalog;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.internals.AutoOffsetResetStrategy;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** The reply side: ready only once positioned at the end, each decision to its own waiter, the rest dropped. */
class LeaseRepliesTest {

    private final TopicCatalog catalog =
            TopicCatalog.builder().prefix("t.").sessionPartitions(2).build();

    private static LeaseDecision decision(String requestId, LeaseDecision.Outcome outcome) {
        return new LeaseDecision(
                requestId,
                "c-1",
                "r-1",
                LeaseCommand.Type.ACQUIRE,
                outcome,
                "tok",
                7L,
                "us-east",
                Instant.now().plusSeconds(30),
                null,
                null,
                Instant.now());
    }

    @Test
    void shouldCompleteOnlyTheWaiterOfEachDecisionWhenDecisionsArriveAfterItIsPositioned() {
        String topic = catalog.leaseDecisions.name();
        MockConsumer<String, LeaseDecision> consumer = new MockConsumer<>(AutoOffsetResetStrategy.LATEST.name());
        Node node = new Node(0, "localhost", 9092);
        consumer.updatePartitions(
                topic,
                List.of(
                        new PartitionInfo(topic, 0, node, new Node[] {node}, new Node[] {node}),
                        new PartitionInfo(topic, 1, node, new Node[] {node}, new Node[] {node})));
        TopicPartition p0 = new TopicPartition(topic, 0);
        TopicPartition p1 = new TopicPartition(topic, 1);
        // decisions already on the topic before start: never delivered to anyone
        consumer.updateEndOffsets(Map.of(p0, 5L, p1, 3L));
        consumer.updateBeginningOffsets(Map.of(p0, 0L, p1, 0L));

        try (LeaseReplies replies = new LeaseReplies(catalog, consumer)) {
            await().atMost(Duration.ofSeconds(10)).until(replies::ready);
            CompletableFuture<LeaseDecision> mine = replies.await("req-mine");
            CompletableFuture<LeaseDecision> other = replies.await("req-other");

            consumer.schedulePollTask(() -> {
                consumer.addRecord(
                        new ConsumerRecord<>(topic, 0, 5L, "r-1", decision("req-mine", LeaseDecision.Outcome.GRANTED)));
                consumer.addRecord(new ConsumerRecord<>(
                        topic, 1, 3L, "r-2", decision("req-nobody", LeaseDecision.Outcome.CONFLICT)));
            });

            await().atMost(Duration.ofSeconds(10)).until(mine::isDone);
            assertThat(mine.join().outcome()).isEqualTo(LeaseDecision.Outcome.GRANTED);
            assertThat(other).isNotDone();
            assertThat(replies.waiting()).isEqualTo(1);
            replies.forget("req-other");
            assertThat(replies.waiting()).isZero();
            assertThat(consumer.position(p0)).isEqualTo(6L);
        }
    }
}
