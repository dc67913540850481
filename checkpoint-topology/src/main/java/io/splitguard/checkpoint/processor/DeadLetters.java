package io.splitguard.checkpoint.processor;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * The headers a dead letter carries, so an operator can find the source record and the reason. The same
 * names as the dedup topology's: one dead-letter topic, one format.
 */
public final class DeadLetters {

    public static final String ERROR_CLASS = "splitguard.error.class";
    public static final String ERROR_MESSAGE = "splitguard.error.message";
    public static final String SOURCE_TOPIC = "splitguard.source.topic";
    public static final String SOURCE_PARTITION = "splitguard.source.partition";
    public static final String SOURCE_OFFSET = "splitguard.source.offset";

    private DeadLetters() {}

    public static Headers headers(Headers original, Exception error, Optional<RecordMetadata> source) {
        Headers headers = new RecordHeaders(original.toArray());
        put(headers, ERROR_CLASS, error.getClass().getName());
        put(headers, ERROR_MESSAGE, String.valueOf(error.getMessage()));
        source.ifPresent(meta -> {
            put(headers, SOURCE_TOPIC, meta.topic());
            put(headers, SOURCE_PARTITION, Integer.toString(meta.partition()));
            put(headers, SOURCE_OFFSET, Long.toString(meta.offset()));
        });
        return headers;
    }

    private static void put(Headers headers, String key, String value) {
        headers.remove(key);
        headers.add(key, value.getBytes(StandardCharsets.UTF_8));
    }
}
