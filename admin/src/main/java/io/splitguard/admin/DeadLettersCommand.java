package io.splitguard.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.topics.Topic;
import io.splitguard.schemas.topics.TopicCatalog;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The dead-letter topic: list what is in it, and send records back to their source topic after a fix. */
@Command(
        name = "dead-letters",
        mixinStandardHelpOptions = true,
        description = "List the dead-letter topic, or re-submit records to their source topic.",
        subcommands = {DeadLettersCommand.ListLetters.class, DeadLettersCommand.Resubmit.class})
final class DeadLettersCommand {

    /** Headers our topology writes. */
    static final String ERROR_PREFIX = "splitguard.error.";

    static final String SOURCE_PREFIX = "splitguard.source.";
    static final String SOURCE_TOPIC = "splitguard.source.topic";
    /** Headers of Kafka Streams' own dead-letter handler. */
    static final String STREAMS_PREFIX = "__streams.errors.";

    static final String STREAMS_SOURCE_TOPIC = "__streams.errors.topic";
    /** Added to a re-submitted record: where it came from. */
    static final String RESUBMITTED_FROM = "splitguard.resubmitted.from";

    private static final int PREVIEW = 200;

    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            description = "Every dead letter (committed) with its error and source headers and a preview of its value.")
    static final class ListLetters extends AdminCommand implements Callable<Integer> {
        @Option(names = "--json", description = "Print a JSON array instead of text.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            AdminSettings settings = settings();
            Topic<byte[], byte[]> topic = settings.catalog().deadLetters;
            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            List<TopicPartition> partitions;
            try (KafkaConsumer<byte[], byte[]> consumer = settings.consumer(1)) {
                partitions = Offsets.partitions(consumer, topic.name());
            }
            TopicReader.readAll(settings, partitions, records::add);
            if (json) {
                ArrayNode array = Json.mapper().createArrayNode();
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    ObjectNode o = array.addObject();
                    o.put("position", r.partition() + ":" + r.offset());
                    o.put("key", text(r.key()));
                    ObjectNode headers = o.putObject("headers");
                    described(r).forEach(headers::put);
                    o.put("value", text(r.value()));
                }
                out().println(Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(array));
                return SplitGuardAdmin.OK;
            }
            out().printf("%d dead letter(s) in %s%n", records.size(), topic.name());
            for (ConsumerRecord<byte[], byte[]> r : records) {
                out().printf("%d:%d  key=%s%n", r.partition(), r.offset(), text(r.key()));
                described(r).forEach((k, v) -> out().printf("    %s: %s%n", k, v));
                String value = text(r.value());
                out().printf("    value: %s%n", value.length() > PREVIEW ? value.substring(0, PREVIEW) + "..." : value);
            }
            return SplitGuardAdmin.OK;
        }
    }

    @Command(
            name = "resubmit",
            mixinStandardHelpOptions = true,
            description = {
                "Produce dead letters' original key and value (and their other headers) again to their source topic,"
                        + " named in their headers (idempotent producer, acks=all). A dry run unless --execute.",
                "Safe to repeat: the topology deduplicates by idempotency key."
            })
    static final class Resubmit extends AdminCommand implements Callable<Integer> {
        @Option(
                names = "--offset",
                required = true,
                split = ",",
                paramLabel = "PARTITION:OFFSET",
                description = "Position of a dead letter (repeatable, or comma-separated).")
        List<String> positions;

        @Option(names = "--execute", description = "Produce the records (else only show what would be sent).")
        boolean execute;

        @Override
        public Integer call() throws Exception {
            AdminSettings settings = settings();
            TopicCatalog catalog = settings.catalog();
            List<String> sourceTopics = catalog.all().stream()
                    .map(Topic::name)
                    .filter(n -> !n.equals(catalog.deadLetters.name()))
                    .toList();
            List<ProducerRecord<byte[], byte[]>> planned = new ArrayList<>();
            for (String position : positions) {
                String[] parts = position.split(":");
                if (parts.length != 2) {
                    err().printf("refused: '%s' is not PARTITION:OFFSET%n", position);
                    return SplitGuardAdmin.REFUSED;
                }
                TopicPartition tp = new TopicPartition(catalog.deadLetters.name(), Integer.parseInt(parts[0].trim()));
                long offset = Long.parseLong(parts[1].trim());
                ConsumerRecord<byte[], byte[]> letter = TopicReader.readOne(settings, tp, offset);
                if (letter == null) {
                    err().printf("refused: no committed dead letter at %s (nothing was sent)%n", position);
                    return SplitGuardAdmin.REFUSED;
                }
                String source = header(letter, SOURCE_TOPIC);
                if (source == null) {
                    source = header(letter, STREAMS_SOURCE_TOPIC);
                }
                if (source == null || !sourceTopics.contains(source)) {
                    err().printf(
                                    "refused: dead letter %s names source topic %s, not a topic of the catalog (%s);"
                                            + " nothing was sent%n",
                                    position, source, String.join(", ", sourceTopics));
                    return SplitGuardAdmin.REFUSED;
                }
                RecordHeaders headers = new RecordHeaders();
                for (Header h : letter.headers()) {
                    if (!h.key().startsWith(ERROR_PREFIX)
                            && !h.key().startsWith(SOURCE_PREFIX)
                            && !h.key().startsWith(STREAMS_PREFIX)
                            && !h.key().equals(RESUBMITTED_FROM)) {
                        headers.add(h);
                    }
                }
                headers.add(
                        RESUBMITTED_FROM,
                        (tp.topic() + "-" + tp.partition() + "@" + offset).getBytes(StandardCharsets.UTF_8));
                // no partition given: the key places it as it placed the original
                planned.add(new ProducerRecord<>(source, null, letter.key(), letter.value(), headers));
            }
            if (!execute) {
                for (int i = 0; i < planned.size(); i++) {
                    out().printf(
                                    "dry run: would send dead letter %s (key=%s) to %s (add --execute to send)%n",
                                    positions.get(i),
                                    text(planned.get(i).key()),
                                    planned.get(i).topic());
                }
                return SplitGuardAdmin.OK;
            }
            try (KafkaProducer<byte[], byte[]> producer = settings.producer()) {
                for (int i = 0; i < planned.size(); i++) {
                    RecordMetadata m = producer.send(planned.get(i)).get(60, TimeUnit.SECONDS);
                    out().printf(
                                    "sent dead letter %s to %s-%d@%d%n",
                                    positions.get(i), m.topic(), m.partition(), m.offset());
                }
            }
            return SplitGuardAdmin.OK;
        }
    }

    /** The error and source headers of a dead letter (ours and Kafka Streams'), as text. */
    static Map<String, String> described(ConsumerRecord<byte[], byte[]> r) {
        Map<String, String> found = new LinkedHashMap<>();
        for (Header h : r.headers()) {
            if (h.key().startsWith(ERROR_PREFIX)
                    || h.key().startsWith(SOURCE_PREFIX)
                    || h.key().startsWith(STREAMS_PREFIX)) {
                found.put(h.key(), text(h.value()));
            }
        }
        return found;
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String key) {
        Header h = r.headers().lastHeader(key);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    /** UTF-8 text when the bytes are UTF-8, else base64 marked as such. */
    static String text(byte[] bytes) {
        if (bytes == null) {
            return "null";
        }
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            return "base64:" + java.util.Base64.getEncoder().encodeToString(bytes);
        }
    }
}
