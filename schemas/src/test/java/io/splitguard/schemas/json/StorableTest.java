package io.splitguard.schemas.json;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class StorableTest {

    private static JsonNode parse(String json) throws Exception {
        return Json.mapper().readTree(json);
    }

    @Test
    void shouldAcceptOrdinaryTextIncludingPairedSurrogates() throws Exception {
        assertThat(Storable.violations(parse("{\"a\":\"caf\\u00e9 \\ud83d\\ude00\",\"n\":[1,2.5,-3e10]}")))
                .isEmpty();
    }

    @Test
    void shouldRefuseNulInValuesAndMemberNames() throws Exception {
        assertThat(Storable.violations(parse("{\"payload\":{\"notes\":\"a\\u0000b\"}}")))
                .singleElement()
                .asString()
                .startsWith("/payload/notes:")
                .contains("U+0000");
        assertThat(Storable.violations(parse("{\"k\\u0000\":1}"))).hasSize(1);
    }

    @Test
    void shouldRefuseUnpairedSurrogates() throws Exception {
        assertThat(Storable.violations(parse("{\"a\":[\"x\\ud800\"]}")))
                .singleElement()
                .asString()
                .startsWith("/a/0:");
        assertThat(Storable.violations(parse("{\"a\":\"\\udc00x\"}"))).hasSize(1);
    }

    @Test
    void shouldRefuseNumbersThatDoNotFitADouble() throws Exception {
        assertThat(Storable.violations(parse("{\"a\":1e400}"))).hasSize(1);
        assertThat(Storable.violations(parse("{\"a\":123456789012345678901234567890}")))
                .isEmpty();
    }

    @Test
    void shouldHashDerivedKeyBodiesWithTheTimestampToTheSecond() throws Exception {
        JsonNode a = parse("{\"session_id\":\"s\",\"payload\":{\"timestamp\":\"2024-05-15T14:32:00.120Z\",\"n\":1}}");
        JsonNode b = parse("{\"session_id\":\"s\",\"payload\":{\"timestamp\":\"2024-05-15T14:32:00.870Z\",\"n\":1}}");
        JsonNode c = parse("{\"session_id\":\"s\",\"payload\":{\"timestamp\":\"2024-05-15T14:32:00.870Z\",\"n\":2}}");
        Instant second = Instant.parse("2024-05-15T14:32:00Z");

        assertThat(PayloadHash.of(a)).isNotEqualTo(PayloadHash.of(b));
        assertThat(PayloadHash.ofDerived(a, second)).isEqualTo(PayloadHash.ofDerived(b, second));
        assertThat(PayloadHash.ofDerived(c, second)).isNotEqualTo(PayloadHash.ofDerived(b, second));
        assertThat(a.path("payload").path("timestamp").asText()).endsWith(".120Z");
    }
}
