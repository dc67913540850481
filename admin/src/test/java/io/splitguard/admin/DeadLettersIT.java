package io.splitguard.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.splitguard.schemas.json.Json;
import io.splitguard.testsupport.SharedInfra;
import io.splitguard.topology.processor.DeadLetters;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code dead-letters}: listed with their headers; re-submitted to their source topic only when asked. */
@ExtendWith(SharedInfra.class)
class DeadLettersIT {

    @Test
    void shouldListDeadLettersAndResubmitOnlyOnExecuteToACatalogTopic() throws Exception {
        try (AdminTestKit kit = new AdminTestKit("dead-letters")) {
            String source = kit.catalog.mutationsIn.name();
            String value = "{\"session_id\":\"s-1\",\"fixed\":\"later\"}";
            kit.commit(List.of(
                    letter(kit, "s-1", value, source, "schema invalid: missing idempotency_key"),
                    letter(kit, "s-2", "{}", "someone-elses-topic", "bad")));
            AdminSettings settings = new AdminSettings(kit.env);

            AdminTestKit.Run list = kit.run("dead-letters", "list");
            AdminTestKit.Run json = kit.run("dead-letters", "list", "--json");

            assertThat(list.exitCode()).as(list.err()).isZero();
            assertThat(list.out())
                    .contains("2 dead letter(s)")
                    .contains("0:0  key=s-1")
                    .contains(DeadLetters.ERROR_MESSAGE + ": schema invalid: missing idempotency_key")
                    .contains(DeadLetters.SOURCE_TOPIC + ": " + source)
                    .contains("value: " + value);
            JsonNode array = Json.mapper().readTree(json.out());
            assertThat(array).hasSize(2);
            assertThat(array.get(1)
                            .path("headers")
                            .path(DeadLetters.SOURCE_TOPIC)
                            .asText())
                    .isEqualTo("someone-elses-topic");

            AdminTestKit.Run dryRun = kit.run("dead-letters", "resubmit", "--offset", "0:0");
            AdminTestKit.Run foreign = kit.run("dead-letters", "resubmit", "--offset", "0:0,0:1", "--execute");
            AdminTestKit.Run missing = kit.run("dead-letters", "resubmit", "--offset", "0:9", "--execute");
            assertThat(dryRun.exitCode()).isZero();
            assertThat(dryRun.out()).contains("dry run").contains("to " + source);
            assertThat(foreign.exitCode()).isEqualTo(1);
            assertThat(foreign.err()).contains("someone-elses-topic").contains("nothing was sent");
            assertThat(missing.exitCode()).isEqualTo(1);
            assertThat(records(settings, source))
                    .as("nothing sent without --execute or when refused")
                    .isEmpty();

            AdminTestKit.Run executed = kit.run("dead-letters", "resubmit", "--offset", "0:0", "--execute");

            assertThat(executed.exitCode()).as(executed.err()).isZero();
            List<ConsumerRecord<byte[], byte[]>> sent = records(settings, source);
            assertThat(sent).hasSize(1);
            ConsumerRecord<byte[], byte[]> r = sent.get(0);
            assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("s-1");
            assertThat(new String(r.value(), StandardCharsets.UTF_8)).isEqualTo(value);
            assertThat(r.partition()).isEqualTo(Offsets.partitionOf(r.key(), 3));
            assertThat(new String(r.headers().lastHeader("traceparent").value(), StandardCharsets.UTF_8))
                    .isEqualTo("00-abc-01");
            assertThat(new String(
                            r.headers()
                                    .lastHeader(DeadLettersCommand.RESUBMITTED_FROM)
                                    .value(),
                            StandardCharsets.UTF_8))
                    .isEqualTo(kit.catalog.deadLetters.name() + "-0@0");
            assertThat(r.headers().lastHeader(DeadLetters.ERROR_CLASS)).isNull();
            assertThat(r.headers().lastHeader(DeadLetters.SOURCE_TOPIC)).isNull();
        }
    }

    private static ProducerRecord<byte[], byte[]> letter(
            AdminTestKit kit, String key, String value, String sourceTopic, String error) {
        RecordHeaders headers = new RecordHeaders();
        headers.add("traceparent", "00-abc-01".getBytes(StandardCharsets.UTF_8));
        headers.add(
                DeadLetters.ERROR_CLASS,
                "org.apache.kafka.common.errors.SerializationException".getBytes(StandardCharsets.UTF_8));
        headers.add(DeadLetters.ERROR_MESSAGE, error.getBytes(StandardCharsets.UTF_8));
        headers.add(DeadLetters.SOURCE_TOPIC, sourceTopic.getBytes(StandardCharsets.UTF_8));
        headers.add(DeadLetters.SOURCE_PARTITION, "2".getBytes(StandardCharsets.UTF_8));
        headers.add(DeadLetters.SOURCE_OFFSET, "41".getBytes(StandardCharsets.UTF_8));
        return new ProducerRecord<>(
                kit.catalog.deadLetters.name(),
                0,
                key.getBytes(StandardCharsets.UTF_8),
                value.getBytes(StandardCharsets.UTF_8),
                headers);
    }

    private static List<ConsumerRecord<byte[], byte[]>> records(AdminSettings settings, String topic) {
        List<TopicPartition> partitions;
        try (KafkaConsumer<byte[], byte[]> consumer = settings.consumer(1)) {
            partitions = Offsets.partitions(consumer, topic);
        }
        List<ConsumerRecord<byte[], byte[]>> found = new ArrayList<>();
        TopicReader.readAll(settings, partitions, found::add);
        return found;
    }
}
