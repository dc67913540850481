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
    void shouldRefuseNumbersBeyondPostgresNumericAndKeepEveryOtherNumberExact() throws Exception {
        assertThat(Storable.violations(parse("{\"a\":1e200000}")))
                .singleElement()
                .asString()
                .startsWith("/a:")
                .contains("numeric");
        assertThat(Storable.violations(parse("{\"a\":1e-20000}"))).hasSize(1);
        assertThat(Storable.violations(parse("{\"a\":1e400,\"b\":123456789012345678901234567890,\"c\":-1e-300}")))
                .isEmpty();

        JsonNode exact = parse("{\"a\":0.1000000000000000000001,\"b\":1.50}");
        assertThat(exact.get("a").decimalValue()).isEqualByComparingTo("0.1000000000000000000001");
        assertThat(exact.toString()).isEqualTo("{\"a\":0.1000000000000000000001,\"b\":1.50}");
    }

    @Test
    void shouldHashEqualNumbersEquallyHoweverTheyAreSpelled() throws Exception {
        assertThat(PayloadHash.of(parse("{\"a\":1,\"b\":[1500]}")))
                .isEqualTo(PayloadHash.of(parse("{\"a\":1.0,\"b\":[1.5e3]}")))
                .isEqualTo(PayloadHash.of(parse("{\"b\":[15E2],\"a\":1.000}")));
        assertThat(PayloadHash.of(parse("{\"a\":0.1000000000000000000001}")))
                .as("a difference beyond a double's precision is a different body")
                .isNotEqualTo(PayloadHash.of(parse("{\"a\":0.1}")));
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
