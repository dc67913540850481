package io.splitguard.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.splitguard.schemas.json.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

/** The end-to-end invariants, checked on the committed mutations topic and on PostgreSQL alike. */
final class Invariants {

    private Invariants() {}

    /** How often each idempotency key occurs on the committed mutations topic. */
    static Map<String, Long> keyCounts(List<Topics.Committed> committed) {
        return committed.stream()
                .collect(Collectors.groupingBy(r -> r.mutation().idempotencyKey(), Collectors.counting()));
    }

    /** How often each idempotency key occurs in crm_contact_updates. */
    static Map<String, Long> rowCounts(List<Database.Row> rows) {
        return rows.stream().collect(Collectors.groupingBy(Database.Row::idempotencyKey, Collectors.counting()));
    }

    /** Each session's sequences on the committed mutations topic, sorted. */
    static Map<String, List<Long>> topicSequences(List<Topics.Committed> committed) {
        Map<String, List<Long>> bySession = new TreeMap<>();
        committed.forEach(r -> bySession
                .computeIfAbsent(r.mutation().sessionId(), s -> new ArrayList<>())
                .add(r.mutation().sequence()));
        bySession.values().forEach(list -> list.sort(null));
        return bySession;
    }

    /** Each session's sequences in crm_contact_updates, sorted. */
    static Map<String, List<Long>> rowSequences(List<Database.Row> rows) {
        Map<String, List<Long>> bySession = new TreeMap<>();
        rows.forEach(r ->
                bySession.computeIfAbsent(r.sessionId(), s -> new ArrayList<>()).add(r.sequence()));
        bySession.values().forEach(list -> list.sort(null));
        return bySession;
    }

    /** Every session's sequences are exactly 1..n: no gap, no repeat, nothing before 1. */
    static void assertGapless(Map<String, List<Long>> bySession, String where) {
        bySession.forEach((session, sequences) -> assertThat(sequences)
                .as("sequences of %s in %s", session, where)
                .containsExactlyElementsOf(
                        LongStream.rangeClosed(1, sequences.size()).boxed().toList()));
    }

    /** The topic and the database hold the same keys, each with the same session and sequence. */
    static void assertTopicEqualsDatabase(List<Topics.Committed> committed, List<Database.Row> rows) {
        Map<String, String> onTopic = committed.stream()
                .collect(Collectors.toMap(
                        r -> r.mutation().idempotencyKey(),
                        r -> r.mutation().sessionId() + "#" + r.mutation().sequence(),
                        (a, b) -> a + "," + b,
                        TreeMap::new));
        Map<String, String> inDatabase = rows.stream()
                .collect(Collectors.toMap(
                        Database.Row::idempotencyKey,
                        r -> r.sessionId() + "#" + r.sequence(),
                        (a, b) -> a + "," + b,
                        TreeMap::new));
        assertThat(inDatabase)
                .as("session#sequence per key: crm_contact_updates vs committed mutations")
                .isEqualTo(onTopic);
    }

    /** Every stored mutation carries exactly the body that was sent under its key, on the topic and in the table. */
    static void assertBodiesAsSent(
            List<Topics.Committed> committed, List<Database.Row> rows, Map<String, String> sentBodies) {
        Map<String, JsonNode> sent =
                sentBodies.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> parse(e.getValue())));
        assertThat(committed).allSatisfy(r -> {
            String key = r.mutation().idempotencyKey();
            assertThat(sent).as("key %s on the topic was sent", key).containsKey(key);
            assertThat(r.mutation().body()).as("body of %s on the topic", key).isEqualTo(sent.get(key));
            assertThat(r.mutation().sessionId())
                    .as("session of %s on the topic", key)
                    .isEqualTo(sent.get(key).get("session_id").asText());
        });
        assertThat(rows).allSatisfy(row -> {
            String key = row.idempotencyKey();
            assertThat(sent).as("key %s in the table was sent", key).containsKey(key);
            JsonNode body = sent.get(key);
            assertThat(row.sessionId())
                    .as("session_id of %s", key)
                    .isEqualTo(body.get("session_id").asText());
            assertThat(row.contactId())
                    .as("contact_id of %s", key)
                    .isEqualTo(body.get("contact_id").asText());
            assertThat(row.operation())
                    .as("operation of %s", key)
                    .isEqualTo(body.get("operation").asText());
            assertThat(row.payload()).as("payload of %s", key).isEqualTo(body.get("payload"));
        });
    }

    private static JsonNode parse(String json) {
        try {
            return Json.mapper().readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
