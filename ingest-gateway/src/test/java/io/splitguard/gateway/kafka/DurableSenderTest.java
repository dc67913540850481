package io.splitguard.gateway.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.splitguard.gateway.config.GatewaySettings;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * How a send ends decides the answer: "nothing was recorded" (the key may be forgotten) only when the
 * record certainly never reached a broker; anything after the hand-off is indeterminate.
 */
class DurableSenderTest {

    private static final Serializer<String> TEXT = new StringSerializer();

    private static MockProducer<String, byte[]> mock(boolean autoComplete) {
        return new MockProducer<>(autoComplete, null, new StringSerializer(), new ByteArraySerializer());
    }

    private static Throwable failure(CompletableFuture<RecordMetadata> f) {
        await().atMost(Duration.ofSeconds(10)).until(f::isDone);
        return f.handle((m, e) -> e).join();
    }

    @Test
    void shouldSendTheSerializedValueUnderItsKeyWhenTheBrokerAcknowledges() {
        MockProducer<String, byte[]> mock = mock(false);
        try (DurableSender sender = new DurableSender(new GatewaySettings(), mock)) {
            CompletableFuture<RecordMetadata> sent = sender.send("t.topic", "s1", "payload", TEXT);
            await().atMost(Duration.ofSeconds(10)).until(() -> mock.history().size() == 1);

            mock.completeNext();

            assertThat(sent.join().topic()).isEqualTo("t.topic");
            assertThat(mock.history().get(0).key()).isEqualTo("s1");
            assertThat(new String(mock.history().get(0).value(), StandardCharsets.UTF_8))
                    .isEqualTo("payload");
        }
    }

    @Test
    void shouldBeIndeterminateWhenTheSendFailsAfterTheHandOff() {
        MockProducer<String, byte[]> mock = mock(false);
        try (DurableSender sender = new DurableSender(new GatewaySettings(), mock)) {
            CompletableFuture<RecordMetadata> sent = sender.send("t.topic", "s1", "v", TEXT);
            await().atMost(Duration.ofSeconds(10)).until(() -> mock.history().size() == 1);

            mock.errorNext(new TimeoutException("expired in flight"));

            assertThat(failure(sent)).isInstanceOf(TimeoutException.class).isNotInstanceOf(NotSentException.class);
        }
    }

    @Test
    void shouldBeNotSentAndNeverStartLaterWhenTheSendCannotBeHandedOffInTime() {
        MockProducer<String, byte[]> mock = mock(true);
        GatewaySettings settings = new GatewaySettings();
        settings.setSendThreads(1);
        settings.setSendHandoffTimeout(Duration.ofMillis(100));
        try (DurableSender sender = new DurableSender(settings, mock)) {
            // occupy the only send thread so the next send waits in the queue past its deadline
            CountDownLatch release = new CountDownLatch(1);
            sender.sendPoolForTests().execute(() -> {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            CompletableFuture<RecordMetadata> late = sender.send("t.topic", "s1", "late", TEXT);

            assertThat(failure(late)).isInstanceOf(NotSentException.class);
            release.countDown();
            CompletableFuture<RecordMetadata> next = sender.send("t.topic", "s1", "next", TEXT);
            await().atMost(Duration.ofSeconds(10)).until(next::isDone);
            assertThat(mock.history()).as("the abandoned record was never sent").hasSize(1);
        }
    }

    @Test
    void shouldBeNotSentWhenTheProducerRefusesTheRecordSynchronouslyOrTheValueCannotBeSerialized() {
        MockProducer<String, byte[]> refusing = mock(true);
        refusing.sendException = new KafkaException("no metadata within max.block.ms");
        try (DurableSender sender = new DurableSender(new GatewaySettings(), refusing)) {
            assertThat(failure(sender.send("t.topic", "s1", "v", TEXT))).isInstanceOf(NotSentException.class);
        }
        MockProducer<String, byte[]> fine = mock(true);
        Serializer<String> broken = (topic, value) -> {
            throw new SerializationException("cannot write " + value);
        };
        try (DurableSender sender = new DurableSender(new GatewaySettings(), fine)) {
            assertThat(failure(sender.send("t.topic", "s1", "v", broken))).isInstanceOf(NotSentException.class);
            assertThat(fine.history()).isEmpty();
        }
    }

    @Test
    void shouldBeNotSentRatherThanAnErrorWhenSendingDuringShutdown() {
        MockProducer<String, byte[]> mock = mock(true);
        DurableSender sender = new DurableSender(new GatewaySettings(), mock);
        sender.close();

        CompletableFuture<RecordMetadata> during = sender.send("t.topic", "s1", "v", TEXT);

        assertThat(failure(during)).isInstanceOf(NotSentException.class).hasMessageContaining("shutting down");
        assertThat(mock.history()).isEmpty();
    }

    @Test
    void shouldRefuseAtOnceAsNotSentWhenMaxInFlightProducesAwaitTheBroker() {
        MockProducer<String, byte[]> mock = mock(false);
        GatewaySettings settings = new GatewaySettings();
        settings.setMaxInFlight(2);
        try (DurableSender sender = new DurableSender(settings, mock)) {
            CompletableFuture<RecordMetadata> first = sender.send("t.topic", "s1", "a", TEXT);
            CompletableFuture<RecordMetadata> second = sender.send("t.topic", "s2", "b", TEXT);
            await().atMost(Duration.ofSeconds(10)).until(() -> mock.history().size() == 2);

            CompletableFuture<RecordMetadata> third = sender.send("t.topic", "s3", "c", TEXT);

            assertThat(third).isCompletedExceptionally();
            assertThat(failure(third)).isInstanceOf(NotSentException.class).hasMessageContaining("in flight");
            assertThat(mock.history()).hasSize(2);

            // one acknowledgement (whichever send thread handed its record first) frees one permit
            mock.completeNext();
            await().atMost(Duration.ofSeconds(10)).until(() -> first.isDone() || second.isDone());
            CompletableFuture<RecordMetadata> fourth = sender.send("t.topic", "s4", "d", TEXT);
            await().atMost(Duration.ofSeconds(10)).until(() -> mock.history().size() == 3);
            mock.completeNext();
            mock.completeNext();
            assertThat(first.join().topic()).isEqualTo("t.topic");
            assertThat(second.join().topic()).isEqualTo("t.topic");
            assertThat(fourth.join().topic()).isEqualTo("t.topic");
        }
    }
}
