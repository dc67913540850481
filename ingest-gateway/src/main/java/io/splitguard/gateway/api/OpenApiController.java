package io.splitguard.gateway.api;

import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.security.annotation.Secured;
import io.micronaut.security.rules.SecurityRule;
import io.splitguard.schemas.json.SchemaId;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Serves the gateway's curated OpenAPI 3.1 description ({@value #DOCUMENT} on the classpath) at
 * {@code /openapi.yaml}, and the JSON Schemas of the {@code schemas} module it references at
 * {@code /schemas/<name>.schema.json}, so that the document's relative {@code $ref}s resolve against the
 * served URL. Unauthenticated: the API description is public.
 */
@Controller
@Secured(SecurityRule.IS_ANONYMOUS)
public class OpenApiController {

    public static final String DOCUMENT = "openapi/splitguard.yaml";
    public static final String YAML = "application/yaml";
    public static final String JSON_SCHEMA = "application/schema+json";

    private final byte[] document;
    private final Map<String, byte[]> schemas = new HashMap<>();

    public OpenApiController() {
        this.document = read("/" + DOCUMENT);
        for (SchemaId id : SchemaId.values()) {
            String resource = id.resource();
            schemas.put(resource.substring(resource.lastIndexOf('/') + 1), read(resource));
        }
    }

    @Get(uri = "/openapi.yaml", produces = YAML)
    public HttpResponse<byte[]> openApi() {
        return HttpResponse.ok(document).contentType(YAML);
    }

    @Get(
            uri = "/schemas/{name}",
            produces = {JSON_SCHEMA, Problem.MEDIA_TYPE})
    public HttpResponse<byte[]> schema(HttpRequest<?> request, @PathVariable String name) {
        byte[] schema = schemas.get(name);
        if (schema == null) {
            return Problem.of(
                            "schema-unknown",
                            HttpStatus.NOT_FOUND,
                            "Unknown schema",
                            "No schema is published under this name.")
                    .withInstance(request.getPath())
                    .toResponse();
        }
        return HttpResponse.ok(schema).contentType(JSON_SCHEMA);
    }

    private static byte[] read(String resource) {
        try (InputStream in = OpenApiController.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing classpath resource " + resource);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }
}
