package io.splitguard.gateway.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.splitguard.gateway.config.WebhookPlatformSettings;
import io.splitguard.schemas.json.Json;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

class PlatformEventTest {

    static JsonNode fixture(String name) throws IOException {
        try (InputStream in = PlatformEventTest.class.getResourceAsStream("/webhooks/" + name)) {
            return Json.mapper().readTree(in);
        }
    }

    static WebhookPlatformSettings genesys() {
        WebhookPlatformSettings s = new WebhookPlatformSettings("genesys");
        s.setSessionIdPointer("/eventBody/conversationId");
        s.setEventIdPointer("/metadata/CorrelationId");
        s.setEventTimePointer("/eventBody/eventTime");
        s.setEventTypePointer("/topicName");
        return s;
    }

    static WebhookPlatformSettings cxone() {
        WebhookPlatformSettings s = new WebhookPlatformSettings("cxone");
        s.setSessionIdPointer("/contactId");
        s.setEventIdPointer("/eventId");
        s.setEventTimePointer("/createdDate");
        s.setEventTypePointer("/eventType");
        return s;
    }

    @Test
    void shouldPlaceAGenesysNotificationWhenItHasTheDefaultShape() throws IOException {
        JsonNode notification = fixture("genesys-customer-start.json");

        PlatformEvent event = PlatformEvent.of(genesys(), notification);

        assertThat(event.sessionId()).isEqualTo("5f3e6c1a-3b0d-4a0e-9d52-8f1c2a7b9e10");
        assertThat(event.eventId()).isEqualTo("2b7c4d1e-9f80-4a3b-b6c5-d4e3f2a1b0c9");
        assertThat(event.eventTime()).isEqualTo("1715788320123");
        assertThat(event.eventType()).startsWith("v2.detail.events.conversation.");
        ObjectNode doc = event.document();
        assertThat(doc.path("platform").asText()).isEqualTo("genesys");
        assertThat(doc.path("operation").asText()).isEqualTo(event.eventType());
        assertThat(doc.path("payload")).isEqualTo(notification);
    }

    @Test
    void shouldPlaceACxoneEventWhenItHasTheDefaultShape() throws IOException {
        PlatformEvent event = PlatformEvent.of(cxone(), fixture("cxone-contact-queued.json"));

        assertThat(event.sessionId()).isEqualTo("582910347");
        assertThat(event.eventId()).isEqualTo("7d3a9c2e-1f4b-4e6d-8a0c-5b2e9f1d3c7a");
        assertThat(event.eventType()).isEqualTo("ContactQueued");
        assertThat(event.document().path("event_time").asText()).isEqualTo("2026-05-15T14:32:00.123Z");
    }

    @Test
    void shouldNameThePointerWhenTheSessionIdIsMissing() throws IOException {
        ObjectNode notification = (ObjectNode) fixture("genesys-customer-start.json");
        ((ObjectNode) notification.get("eventBody")).remove("conversationId");

        assertThatThrownBy(() -> PlatformEvent.of(genesys(), notification))
                .isInstanceOf(PlatformEvent.Refused.class)
                .hasMessageContaining("/eventBody/conversationId")
                .extracting(e -> ((PlatformEvent.Refused) e).pointer())
                .isEqualTo("/eventBody/conversationId");
    }

    @Test
    void shouldRefuseWhenTheSessionIdCannotKeyARecord() throws IOException {
        ObjectNode notification = (ObjectNode) fixture("cxone-contact-queued.json");
        notification.put("contactId", "contact 58/29");

        assertThatThrownBy(() -> PlatformEvent.of(cxone(), notification)).isInstanceOf(PlatformEvent.Refused.class);
        assertThatThrownBy(() -> PlatformEvent.of(cxone(), Json.mapper().createArrayNode()))
                .isInstanceOf(PlatformEvent.Refused.class);
    }

    @Test
    void shouldLeaveTheEventIdOutWhenTheNotificationHasNone() throws IOException {
        ObjectNode notification = (ObjectNode) fixture("cxone-contact-queued.json");
        notification.remove("eventId");
        notification.remove("eventType");

        PlatformEvent event = PlatformEvent.of(cxone(), notification);

        assertThat(event.eventId()).isNull();
        assertThat(event.document().has("event_id")).isFalse();
        assertThat(event.document().path("operation").asText()).isEqualTo("platform_event");
    }
}
