package io.splitguard.gateway.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class StandardWebhooksTest {

    private static final String OLD =
            "whsec_" + Base64.getEncoder().encodeToString(bytes("old-secret-0123456789abcdef"));
    private static final String NEW =
            "whsec_" + Base64.getEncoder().encodeToString(bytes("new-secret-fedcba9876543210"));
    private static final Instant NOW = Instant.parse("2026-05-15T14:32:00Z");
    private static final byte[] BODY = bytes("{\"topicName\":\"v2.detail.events.conversation.c1.customer.start\"}");
    private static final String ID = "msg_2b7c4d1e";

    private final StandardWebhooks verifier = new StandardWebhooks(List.of(NEW), Duration.ofMinutes(5));

    @Test
    void shouldAcceptADeliverySignedWithTheSecretWhenItIsOnTime() {
        long ts = NOW.getEpochSecond() - 10;
        String signature = StandardWebhooks.signature(NEW, ID, ts, BODY);

        assertThat(verifier.refusal(ID, Long.toString(ts), signature, BODY, NOW))
                .isEmpty();
    }

    @Test
    void shouldMatchAKnownVectorWhenSignedWithAFixedKey() {
        // HMAC-SHA256("key", "msg_1.1700000000.{}") computed independently (openssl dgst -sha256 -hmac key)
        String secret = "whsec_" + Base64.getEncoder().encodeToString(bytes("key"));
        String expected = "v1,XaXLFEFQ69Q4+demDWPEv5ydXczDW2mM5crCUEFcFBA=";

        assertThat(StandardWebhooks.signature(secret, "msg_1", 1_700_000_000L, bytes("{}")))
                .isEqualTo(expected);
    }

    @Test
    void shouldRefuseWhenTheBodyOrTheIdWasChanged() {
        long ts = NOW.getEpochSecond();
        String signature = StandardWebhooks.signature(NEW, ID, ts, BODY);

        assertThat(verifier.refusal(ID, Long.toString(ts), signature, bytes("{\"topicName\":\"x\"}"), NOW))
                .contains("no signature matches a configured secret");
        assertThat(verifier.refusal("msg_other", Long.toString(ts), signature, BODY, NOW))
                .isPresent();
    }

    @Test
    void shouldRefuseWhenSignedWithAnotherSecret() {
        long ts = NOW.getEpochSecond();
        String signature = StandardWebhooks.signature(OLD, ID, ts, BODY);

        assertThat(verifier.refusal(ID, Long.toString(ts), signature, BODY, NOW))
                .isPresent();
    }

    @Test
    void shouldRefuseWhenTheTimestampIsOutsideTheToleranceEitherWay() {
        long expired = NOW.getEpochSecond() - 301;
        long future = NOW.getEpochSecond() + 301;
        long edge = NOW.getEpochSecond() - 300;

        assertThat(verifier.refusal(
                        ID, Long.toString(expired), StandardWebhooks.signature(NEW, ID, expired, BODY), BODY, NOW))
                .get()
                .asString()
                .contains("webhook-timestamp");
        assertThat(verifier.refusal(
                        ID, Long.toString(future), StandardWebhooks.signature(NEW, ID, future, BODY), BODY, NOW))
                .isPresent();
        assertThat(verifier.refusal(
                        ID, Long.toString(edge), StandardWebhooks.signature(NEW, ID, edge, BODY), BODY, NOW))
                .isEmpty();
    }

    @Test
    void shouldAcceptEitherSecretWhenASecretIsBeingRotated() {
        StandardWebhooks rotating = new StandardWebhooks(List.of(OLD, NEW), Duration.ofMinutes(5));
        long ts = NOW.getEpochSecond();

        assertThat(rotating.refusal(ID, Long.toString(ts), StandardWebhooks.signature(OLD, ID, ts, BODY), BODY, NOW))
                .isEmpty();
        assertThat(rotating.refusal(ID, Long.toString(ts), StandardWebhooks.signature(NEW, ID, ts, BODY), BODY, NOW))
                .isEmpty();
    }

    @Test
    void shouldAcceptWhenAnyOfSeveralSignaturesMatches() {
        long ts = NOW.getEpochSecond();
        String header = "v1,bm90LWEtc2lnbmF0dXJl v2,whatever " + StandardWebhooks.signature(NEW, ID, ts, BODY);

        assertThat(verifier.refusal(ID, Long.toString(ts), header, BODY, NOW)).isEmpty();
    }

    @Test
    void shouldRefuseWhenHeadersAreMissingOrMalformed() {
        long ts = NOW.getEpochSecond();
        String signature = StandardWebhooks.signature(NEW, ID, ts, BODY);

        assertThat(verifier.refusal(null, Long.toString(ts), signature, BODY, NOW))
                .isPresent();
        assertThat(verifier.refusal(ID, null, signature, BODY, NOW)).isPresent();
        assertThat(verifier.refusal(ID, Long.toString(ts), null, BODY, NOW)).isPresent();
        assertThat(verifier.refusal(ID, "yesterday", signature, BODY, NOW))
                .contains("webhook-timestamp must be Unix seconds");
        assertThat(verifier.refusal(ID, Long.toString(ts), "v1,%%%not-base64", BODY, NOW))
                .isPresent();
        assertThat(verifier.refusal(ID, Long.toString(ts), signature.replace("v1,", "v0,"), BODY, NOW))
                .isPresent();
    }

    @Test
    void shouldRejectAnEmptySecretWhenConfigured() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new StandardWebhooks(List.of("whsec_"), Duration.ofMinutes(5)));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
