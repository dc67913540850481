package io.splitguard.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MutableHttpResponse;
import io.splitguard.schemas.json.Json;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProblemTest {

    @Test
    void shouldRenderTheStandardMembersAndExtensions() throws IOException {
        Problem problem = Problem.of("schema-violation", HttpStatus.UNPROCESSABLE_ENTITY, "Invalid", "bad body")
                .withInstance("/api/x")
                .with("errors", List.of("a", "b"));
        JsonNode json = Json.mapper().readTree(problem.toBytes());

        assertThat(json.path("type").asText()).isEqualTo("https://splitguard.io/problems/schema-violation");
        assertThat(json.path("title").asText()).isEqualTo("Invalid");
        assertThat(json.path("status").asInt()).isEqualTo(422);
        assertThat(json.path("detail").asText()).isEqualTo("bad body");
        assertThat(json.path("instance").asText()).isEqualTo("/api/x");
        assertThat(json.path("errors")).hasSize(2);
    }

    @Test
    void shouldNeverLetExtensionsOverrideStandardMembers() throws IOException {
        Problem problem =
                Problem.ofStatus(404, "Not Found", null).with("status", 200).with("title", "ok");
        JsonNode json = Json.mapper().readTree(problem.toBytes());
        assertThat(json.path("status").asInt()).isEqualTo(404);
        assertThat(json.path("title").asText()).isEqualTo("Not Found");
        assertThat(json.path("type").asText()).isEqualTo("about:blank");
        assertThat(json.has("detail")).isFalse();
    }

    @Test
    void shouldCarryTheStatusAndTheProblemMediaTypeInTheResponse() {
        MutableHttpResponse<byte[]> response =
                Problem.of("x", HttpStatus.CONFLICT, "In flight", null).toResponse();
        assertThat(response.code()).isEqualTo(409);
        assertThat(response.getContentType()).get().hasToString("application/problem+json");
        assertThat(response.body()).isNotEmpty();
    }
}
