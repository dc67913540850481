package io.splitguard.schemas.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Validates documents against the shipped contracts. Schemas are compiled once; instances are thread-safe. */
public final class JsonSchemas {

    private static final JsonSchemas INSTANCE = new JsonSchemas();

    private final Map<SchemaId, JsonSchema> compiled = new EnumMap<>(SchemaId.class);

    private JsonSchemas() {
        JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
        SchemaValidatorsConfig config =
                SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();
        for (SchemaId id : SchemaId.values()) {
            try (InputStream in = JsonSchemas.class.getResourceAsStream(id.resource())) {
                if (in == null) {
                    throw new IllegalStateException("schema missing from the classpath: " + id.resource());
                }
                compiled.put(id, factory.getSchema(Json.mapper().readTree(in), config));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read schema " + id.resource(), e);
            }
        }
    }

    public static JsonSchemas get() {
        return INSTANCE;
    }

    /** The violations of {@code document} against {@code id}, each as "path: message"; empty when valid. */
    public List<String> violations(SchemaId id, JsonNode document) {
        Set<ValidationMessage> messages = compiled.get(id).validate(document);
        return messages.stream().map(ValidationMessage::getMessage).sorted().toList();
    }
}
