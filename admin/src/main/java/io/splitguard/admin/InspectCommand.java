package io.splitguard.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.topics.TopicCatalog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** One session's history: its audit records and its mutations, in the order they were decided. */
@Command(
        name = "inspect",
        mixinStandardHelpOptions = true,
        description = "One session's history from the audit and mutations topics (committed records), in order.")
final class InspectCommand extends AdminCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "SESSION_ID", description = "The session id (the records' key).")
    String sessionId;

    @Option(names = "--json", description = "Print a JSON array instead of text.")
    boolean json;

    /** One record of the session's history. */
    record Entry(String source, int partition, long offset, Instant time, JsonNode value) {}

    @Override
    public Integer call() throws Exception {
        AdminSettings settings = settings();
        TopicCatalog catalog = settings.catalog();
        byte[] key = sessionId.getBytes(StandardCharsets.UTF_8);
        // every session-keyed topic has the same partition count: the session is on this partition everywhere
        // (counted on the topic itself, so a wrong SPLITGUARD_SESSION_PARTITIONS cannot send us elsewhere)
        int partitions;
        try (KafkaConsumer<byte[], byte[]> consumer = settings.consumer(1)) {
            partitions = Offsets.partitions(consumer, catalog.audit.name()).size();
        }
        int partition = Offsets.partitionOf(key, partitions);
        List<Entry> entries = new ArrayList<>();
        for (String topic : List.of(catalog.audit.name(), catalog.mutations.name())) {
            String source = topic.equals(catalog.audit.name()) ? "audit" : "mutations";
            TopicReader.readAll(settings, List.of(new TopicPartition(topic, partition)), r -> {
                if (r.key() != null && sessionId.equals(new String(r.key(), StandardCharsets.UTF_8))) {
                    entries.add(new Entry(
                            source, r.partition(), r.offset(), Instant.ofEpochMilli(r.timestamp()), parse(r)));
                }
            });
        }
        // a decision's audit record comes before its mutation; the sink's refusals come after both
        entries.sort(Comparator.comparing(Entry::time)
                .thenComparing(e -> e.source().equals("audit") ? 0 : 1)
                .thenComparingLong(Entry::offset));
        if (json) {
            ArrayNode array = Json.mapper().createArrayNode();
            for (Entry e : entries) {
                ObjectNode o = array.addObject();
                o.put("source", e.source());
                o.put("partition", e.partition());
                o.put("offset", e.offset());
                o.put("timestamp", e.time().toString());
                o.set("value", e.value());
            }
            out().println(Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(array));
            return SplitGuardAdmin.OK;
        }
        if (entries.isEmpty()) {
            out().printf("no records of session %s (partition %d)%n", sessionId, partition);
            return SplitGuardAdmin.OK;
        }
        out().printf("session %s (partition %d): %d record(s)%n", sessionId, partition, entries.size());
        for (Entry e : entries) {
            out().println(line(e));
        }
        return SplitGuardAdmin.OK;
    }

    private static String line(Entry e) {
        JsonNode v = e.value();
        StringBuilder s = new StringBuilder()
                .append(e.time())
                .append("  ")
                .append(String.format("%-9s", e.source()))
                .append(" @")
                .append(e.offset())
                .append("  ");
        if (e.source().equals("audit")) {
            s.append(text(v, "decision"));
            append(s, "seq", v.get("sequence"));
            append(s, "key", v.get("scoped_key"));
            append(s, "request", v.get("request_id"));
            append(s, "detail", v.get("detail"));
        } else {
            s.append("mutation");
            append(s, "epoch", v.get("session_epoch"));
            append(s, "seq", v.get("sequence"));
            append(s, "key", v.get("idempotency_key"));
            append(s, "request", v.get("request_id"));
            append(s, "fencing_token", v.get("fencing_token"));
            append(s, "hash", v.get("payload_hash"));
        }
        return s.toString();
    }

    private static String text(JsonNode v, String field) {
        JsonNode n = v.get(field);
        return n == null ? "?" : n.asText();
    }

    private static void append(StringBuilder s, String label, JsonNode value) {
        if (value != null && !value.isNull()) {
            s.append(' ').append(label).append('=').append(value.asText());
        }
    }

    /** The value as JSON; a value that is not JSON is shown as text. */
    private static JsonNode parse(ConsumerRecord<byte[], byte[]> r) {
        if (r.value() == null) {
            return Json.mapper().nullNode();
        }
        try {
            return Json.mapper().readTree(r.value());
        } catch (IOException e) {
            return Json.mapper().getNodeFactory().textNode(new String(r.value(), StandardCharsets.UTF_8));
        }
    }
}
