package io.splitguard.gateway.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.splitguard.gateway.config.GatewaySettings;
import io.splitguard.schemas.model.CheckpointRequest;
import io.splitguard.schemas.topics.TopicCatalog;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** The checkpoint producer: keyed by session id on checkpoints-in, the ack's position, not-sent vs unknown. */
class CheckpointProducerTest {

    private final TopicCatalog catalog =
            TopicCatalog.builder().prefix("t.").sessionPartitions(3).build();

    private static CheckpointRequest checkpoint() {
        return new CheckpointRequest(
                "sess-1",
                "eu-west-1",
                "chk_7",
                JsonNodeFactory.instance.objectNode().put("queue", "billing"),
                null,
                null,
                null,
                null,
                UUID.randomUUID().toString(),
                Instant.now());
    }

    private static Throwable failure(CompletableFuture<String> f) {
        await().atMost(Duration.ofSeconds(10)).until(f::isDone);
        return f.handle((m, e) -> e).join();
    }

    @Test
    void shouldCompleteWithThePartitionAndOffsetWhenTheBrokerAcknowledges() {
        MockProducer<String, byte[]> mock =
                new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer());
        try (DurableSender sender = new DurableSender(new GatewaySettings(), mock)) {
            CompletableFuture<String> sent = new CheckpointProducer(catalog, sender).send(checkpoint());
            await().atMost(Duration.ofSeconds(10)).until(() -> mock.history().size() == 1);

            mock.completeNext();

            assertThat(sent.join()).matches("[0-9]+:0");
            assertThat(mock.history().get(0).topic()).isEqualTo(catalog.checkpointsIn.name());
            assertThat(mock.history().get(0).key()).isEqualTo("sess-1");
            CheckpointRequest onTheTopic = catalog.checkpointsIn
                    .valueSerde()
                    .deserializer()
                    .deserialize(
                            catalog.checkpointsIn.name(), mock.history().get(0).value());
            assertThat(onTheTopic.checkpointId()).isEqualTo("chk_7");
        }
    }

    @Test
    void shouldFailWithTheSendersOwnExceptionWhenNothingWasSent() {
        MockProducer<String, byte[]> mock =
                new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
        mock.sendException = new KafkaException("no metadata within max.block.ms");
        try (DurableSender sender = new DurableSender(new GatewaySettings(), mock)) {
            assertThat(failure(new CheckpointProducer(catalog, sender).send(checkpoint())))
                    .as("not wrapped, so the controller can tell not-sent from indeterminate")
                    .isInstanceOf(NotSentException.class);
        }
    }
}
