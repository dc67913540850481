package io.splitguard.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.json.PayloadHash;
import io.splitguard.schemas.model.CrmContactUpdate;
import io.splitguard.schemas.model.IdempotencyKeys;
import java.io.IOException;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The key and hash rules the gateway relies on, as it applies them. */
class KeysAndHashesTest {

    private static JsonNode parse(String json) throws IOException {
        return Json.mapper().readTree(json);
    }

    @Test
    void shouldIgnoreSubSecondPartsAndDependOnSessionAndOperationWhenDerivingAKey() throws IOException {
        CrmContactUpdate a = CrmContactUpdate.from(
                parse(
                        "{\"session_id\":\"s1\",\"contact_id\":\"c\",\"operation\":\"UPDATE\",\"payload\":{\"timestamp\":\"2025-05-15T10:00:01.123Z\"}}"));
        CrmContactUpdate b = CrmContactUpdate.from(
                parse(
                        "{\"session_id\":\"s1\",\"contact_id\":\"c\",\"operation\":\"UPDATE\",\"payload\":{\"timestamp\":\"2025-05-15T12:00:01.999+02:00\"}}"));
        String keyA = IdempotencyKeys.derive(
                a.sessionId(), a.operation(), a.timestampToSecond().orElseThrow());
        String keyB = IdempotencyKeys.derive(
                b.sessionId(), b.operation(), b.timestampToSecond().orElseThrow());
        assertThat(keyA).isEqualTo(keyB).startsWith("sha256:").hasSize(7 + 64);

        Instant ts = a.timestampToSecond().orElseThrow();
        assertThat(IdempotencyKeys.derive("s2", "UPDATE", ts)).isNotEqualTo(keyA);
        assertThat(IdempotencyKeys.derive("s1", "DELETE", ts)).isNotEqualTo(keyA);
        assertThat(IdempotencyKeys.derive("s1", "UPDATE", ts.plusSeconds(1))).isNotEqualTo(keyA);
    }

    @Test
    void shouldNotDeriveAKeyWhenTheTimestampIsMissing() throws IOException {
        CrmContactUpdate u = CrmContactUpdate.from(
                parse("{\"session_id\":\"s1\",\"contact_id\":\"c\",\"operation\":\"UPDATE\",\"payload\":{}}"));
        assertThat(u.timestampToSecond()).isEmpty();
    }

    @Test
    void shouldSeparateTenantsRoutesAndSessionsUnambiguouslyWhenScopingKeys() {
        String base = IdempotencyKeys.scoped("t", "crm.contact.update", "s", "k");
        assertThat(IdempotencyKeys.scoped("t2", "crm.contact.update", "s", "k")).isNotEqualTo(base);
        assertThat(IdempotencyKeys.scoped("t", "other.route", "s", "k")).isNotEqualTo(base);
        assertThat(IdempotencyKeys.scoped("t", "crm.contact.update", "s2", "k")).isNotEqualTo(base);
        // a separator inside a component cannot make two scopes collide
        assertThat(IdempotencyKeys.scoped("a|b", "r", "s", "k"))
                .isNotEqualTo(IdempotencyKeys.scoped("a", "b|r", "s", "k"));
    }

    @Test
    void shouldKeepThePayloadHashStableWhenKeyOrderOrWhitespaceChange() throws IOException {
        String one = PayloadHash.of(parse("{\"a\":1,\"b\":{\"x\":[1,2],\"y\":\"z\"}}"));
        String two = PayloadHash.of(parse("{ \"b\" : { \"y\":\"z\", \"x\":[1, 2] },\n \"a\":1 }"));
        assertThat(one).isEqualTo(two).startsWith("sha256:");
        assertThat(PayloadHash.of(parse("{\"a\":1,\"b\":{\"x\":[2,1],\"y\":\"z\"}}")))
                .isNotEqualTo(one);
        assertThat(PayloadHash.of(parse("{\"a\":2,\"b\":{\"x\":[1,2],\"y\":\"z\"}}")))
                .isNotEqualTo(one);
    }
}
