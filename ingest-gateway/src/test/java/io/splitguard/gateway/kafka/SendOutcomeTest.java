package io.splitguard.gateway.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.splitguard.gateway.config.GatewaySettings;
import io.splitguard.schemas.model.MutationRequest;
import io.splitguard.schemas.topics.TopicCatalog;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * How a send ends decides the answer: "nothing was recorded" (the key may be forgotten) only when the
 * record certainly never reached a broker; anything after the hand-off is indeterminate.
 */
class SendOutcomeTest {

    private final TopicCatalog catalog =
            TopicCatalog.builder().prefix("t.").sessionPartitions(3).build();

    private static MutationRequest request() {
        return new MutationRequest(
                MutationRequest.CURRENT_SCHEMA_VERSION,
                UUID.randomUUID().toString(),
                "t",
                "crm.contact.update",
                "s1",
                "k1",
                false,
                "scoped",
                "sha256:00",
                Instant.now(),
                null,
                JsonNodeFactory.instance.objectNode());
    }

    private static Throwable failure(CompletableFuture<RecordMetadata> f) {
        await().atMost(Duration.ofSeconds(10)).until(f::isDone);
        return f.handle((m, e) -> e).join();
    }

    @Test
    void shouldBeIndeterminateWhenTheSendFailsAfterTheHandOff() {
        MockProducer<String, MutationRequest> mock =
                new MockProducer<>(false, null, new StringSerializer(), (topic, value) -> new byte[0]);
        try (MutationProducer producer = new MutationProducer(catalog, new GatewaySettings(), mock)) {
            CompletableFuture<RecordMetadata> sent = producer.send(request());
            await().atMost(Duration.ofSeconds(10)).until(() -> mock.history().size() == 1);

            mock.errorNext(new TimeoutException("expired in flight"));

            assertThat(failure(sent)).isInstanceOf(TimeoutException.class).isNotInstanceOf(NotSentException.class);
        }
    }

    @Test
    void shouldBeNotSentAndNeverStartLaterWhenTheSendCannotBeHandedOffInTime() throws Exception {
        MockProducer<String, MutationRequest> mock =
                new MockProducer<>(true, null, new StringSerializer(), (topic, value) -> new byte[0]);
        GatewaySettings settings = new GatewaySettings();
        settings.setSendThreads(1);
        settings.setSendHandoffTimeout(Duration.ofMillis(100));
        try (MutationProducer producer = new MutationProducer(catalog, settings, mock)) {
            // occupy the only send thread so the next send waits in the queue past its deadline
            CountDownLatch release = new CountDownLatch(1);
            producer.sendPoolForTests().execute(() -> {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            CompletableFuture<RecordMetadata> late = producer.send(request());

            assertThat(failure(late)).isInstanceOf(NotSentException.class);
            release.countDown();
            CompletableFuture<RecordMetadata> next = producer.send(request());
            await().atMost(Duration.ofSeconds(10)).until(next::isDone);
            assertThat(mock.history()).as("the abandoned record was never sent").hasSize(1);
        }
    }

    @Test
    void shouldBeNotSentRatherThanAnErrorWhenSendingDuringShutdown() throws Exception {
        MockProducer<String, MutationRequest> mock =
                new MockProducer<>(true, null, new StringSerializer(), (topic, value) -> new byte[0]);
        MutationProducer producer = new MutationProducer(catalog, new GatewaySettings(), mock);
        producer.close();

        CompletableFuture<RecordMetadata> during = producer.send(request());

        assertThat(failure(during)).isInstanceOf(NotSentException.class).hasMessageContaining("shutting down");
        assertThat(mock.history()).isEmpty();
    }
}
