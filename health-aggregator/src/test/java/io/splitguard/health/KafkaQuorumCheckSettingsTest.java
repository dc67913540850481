package io.splitguard.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;

/**
 * The check's admin client must be able to give up on a broker that is cut off and ask another one
 * within a single run of the check (KafkaQuorumCheckCutIT in the chaos module shows it on three brokers).
 */
class KafkaQuorumCheckSettingsTest {

    @Test
    void shouldFitARetryOnAnotherBrokerInsideOneRunWhenTheClientSettingsSayOtherwise() {
        Map<String, Object> props = KafkaQuorumCheck.adminProperties(
                "b1:9092,b2:9092",
                Map.of(
                        // what a service's general client settings may carry: they must not widen the check's bounds
                        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 30_000,
                        AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MS_CONFIG, 10_000,
                        AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS_CONFIG, 30_000,
                        AdminClientConfig.SECURITY_PROTOCOL_CONFIG, "SASL_SSL"),
                Duration.ofSeconds(2));

        int run = (Integer) props.get(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG);
        int request = (Integer) props.get(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG);
        int connect = (Integer) props.get(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MS_CONFIG);
        int connectMax = (Integer) props.get(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS_CONFIG);
        assertThat(run).isEqualTo(2000);
        // a request stuck on the cut broker, then the same request on another: both inside the run
        assertThat(2 * request).isLessThan(run);
        // a new connection to the cut broker is given up before a request to it would be
        assertThat(connect).isLessThan(request);
        assertThat(connectMax).isLessThan(request);
        assertThat(props)
                .containsEntry(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "b1:9092,b2:9092")
                .containsEntry(AdminClientConfig.SECURITY_PROTOCOL_CONFIG, "SASL_SSL")
                .containsEntry(AdminClientConfig.CLIENT_ID_CONFIG, "splitguard-health");
    }
}
