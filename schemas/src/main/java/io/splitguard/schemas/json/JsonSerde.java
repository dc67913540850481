package io.splitguard.schemas.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import java.io.IOException;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A Kafka serde for one record type, in the shared JSON mapping. When built with a schema, every
 * value read is checked against it first; any malformed, schema-invalid or unmappable bytes end in a
 * {@link SerializationException} (which Kafka Streams hands to its deserialization handler).
 */
public final class JsonSerde<T> implements Serde<T> {

    private final Class<T> type;
    private final SchemaId schema;
    private final ObjectReader reader;
    private final ObjectWriter writer;

    private JsonSerde(Class<T> type, SchemaId schema) {
        this.type = type;
        this.schema = schema;
        this.reader = Json.mapper().readerFor(type);
        this.writer = Json.mapper().writerFor(type);
    }

    public static <T> JsonSerde<T> of(Class<T> type, SchemaId schema) {
        return new JsonSerde<>(type, java.util.Objects.requireNonNull(schema, "schema"));
    }

    /** A serde that maps without the schema check: for state stores, whose bytes only this code writes. */
    public static <T> JsonSerde<T> unchecked(Class<T> type) {
        return new JsonSerde<>(type, null);
    }

    public Class<T> type() {
        return type;
    }

    public byte[] toBytes(T value) {
        if (value == null) {
            return null;
        }
        try {
            return writer.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new SerializationException("cannot serialize " + type.getSimpleName(), e);
        }
    }

    public T fromBytes(byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        JsonNode tree;
        try {
            tree = Json.mapper().readTree(bytes);
        } catch (IOException e) {
            throw new SerializationException("malformed JSON for " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
        if (tree == null || tree.isMissingNode()) {
            throw new SerializationException("empty value for " + type.getSimpleName());
        }
        if (schema != null) {
            List<String> violations = JsonSchemas.get().violations(schema, tree);
            if (!violations.isEmpty()) {
                throw new SerializationException(type.getSimpleName() + " violates its schema: " + violations);
            }
        }
        try {
            return reader.readValue(tree);
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot map " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Serializer<T> serializer() {
        return (topic, value) -> toBytes(value);
    }

    @Override
    public Deserializer<T> deserializer() {
        return (topic, bytes) -> fromBytes(bytes);
    }
}
