package io.splitguard.gateway.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.splitguard.gateway.config.GatewaySettings;
import io.splitguard.gateway.config.KafkaSettings;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;

class ProducerConfigTest {

    @Test
    void shouldConfigureAProducerThatIsDurableBoundedAndConsistent() {
        GatewaySettings gateway = new GatewaySettings();
        gateway.setDeliveryTimeout(Duration.ofSeconds(2));
        gateway.setLingerMs(5);
        Map<String, Object> config = DurableSender.producerConfig(new KafkaSettings(), gateway, Map.of());

        assertThat(config)
                .containsEntry(ProducerConfig.ACKS_CONFIG, "all")
                .containsEntry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true)
                .containsEntry(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 2000)
                .containsEntry(ProducerConfig.LINGER_MS_CONFIG, 5);
        int request = (Integer) config.get(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG);
        assertThat(request + 5).isLessThanOrEqualTo(2000);
        assertThat((Long) config.get(ProducerConfig.MAX_BLOCK_MS_CONFIG))
                .isEqualTo(gateway.getSendHandoffTimeout().toMillis())
                .isLessThan(2000L);
    }

    @Test
    void shouldRefusePassThroughPropertiesWhenTheyWouldWeakenTheDurableAck() {
        for (String key : new String[] {"acks", "enable.idempotence", "max.block.ms", "delivery.timeout.ms"}) {
            assertThatThrownBy(() ->
                            DurableSender.producerConfig(new KafkaSettings(), new GatewaySettings(), Map.of(key, "1")))
                    .as(key)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(key)
                    .hasMessageContaining("cannot be overridden");
        }
    }

    @Test
    void shouldApplyOtherPassThroughProperties() {
        Map<String, Object> config = DurableSender.producerConfig(
                new KafkaSettings(), new GatewaySettings(), Map.of("compression.type", "lz4", "linger.ms", "20"));
        assertThat(config).containsEntry("compression.type", "lz4").containsEntry("linger.ms", "20");
    }
}
