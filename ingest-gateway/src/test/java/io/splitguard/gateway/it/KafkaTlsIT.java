package io.splitguard.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.splitguard.gateway.app.GatewayServer;
import io.splitguard.infra.EmbeddedKafka;
import io.splitguard.schemas.model.MutationRequest;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.testsupport.SharedInfra;
import io.splitguard.testsupport.TestHttp;
import io.splitguard.testsupport.TlsMaterial;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's Kafka clients over mutual TLS: a broker whose TLS listener requires a client certificate,
 * a gateway given its key and trust stores as {@code splitguard.kafka.client.*} (every client: producer,
 * consumers, admin) answers ready and records a write; one without a client certificate records nothing
 * and never answers 2xx.
 */
class KafkaTlsIT {

    @TempDir
    Path dir;

    @Test
    void shouldRecordWritesOverMutualTlsAndRefuseThemWhenTheClientHasNoCertificate() throws Exception {
        TlsMaterial tls = TlsMaterial.generate(Files.createDirectories(dir.resolve("tls")));
        try (EmbeddedKafka kafka = EmbeddedKafka.startWithTls(
                dir.resolve("kafka"),
                new EmbeddedKafka.TlsListener(tls.brokerKeystore(), tls.brokerTruststore(), tls.password(), true))) {
            String prefix = SharedInfra.uniqueName("tls") + ".";
            TopicCatalog catalog = Fixtures.catalog(prefix);
            Fixtures.bootstrap(kafka.bootstrapServers(), catalog);
            String token = Fixtures.token("acme", "session:write");

            Map<String, Object> withCertificate = Fixtures.properties(kafka.tlsBootstrapServers(), prefix);
            withCertificate.put("splitguard.kafka.client.security.protocol", "SSL");
            withCertificate.put("splitguard.kafka.client.ssl.truststore.type", "PKCS12");
            withCertificate.put(
                    "splitguard.kafka.client.ssl.truststore.location",
                    tls.clientTruststore().toString());
            withCertificate.put("splitguard.kafka.client.ssl.truststore.password", tls.password());
            withCertificate.put("splitguard.kafka.client.ssl.keystore.type", "PKCS12");
            withCertificate.put(
                    "splitguard.kafka.client.ssl.keystore.location",
                    tls.clientKeystore().toString());
            withCertificate.put("splitguard.kafka.client.ssl.keystore.password", tls.password());
            withCertificate.put("splitguard.kafka.client.ssl.key.password", tls.password());
            try (GatewayServer gateway = Fixtures.start(withCertificate)) {
                TestHttp http = new TestHttp(gateway.url());
                await().atMost(Duration.ofSeconds(60))
                        .until(() -> http.get("/health/ready").statusCode() == 200);
                String key = "tls-" + UUID.randomUUID();
                HttpResponse<String> accepted = http.post(
                        Fixtures.UPDATE,
                        Fixtures.update(Fixtures.newSession(), "over tls", null),
                        "Authorization",
                        token,
                        "Content-Type",
                        "application/json",
                        "Idempotency-Key",
                        key);
                assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(200);
                List<MutationRequest> records = Fixtures.mutationsWithKey(kafka.bootstrapServers(), catalog, key);
                assertThat(records).hasSize(1);
            }

            Map<String, Object> withoutCertificate = Fixtures.properties(kafka.tlsBootstrapServers(), prefix);
            withoutCertificate.put("splitguard.kafka.client.security.protocol", "SSL");
            withoutCertificate.put("splitguard.kafka.client.ssl.truststore.type", "PKCS12");
            withoutCertificate.put(
                    "splitguard.kafka.client.ssl.truststore.location",
                    tls.clientTruststore().toString());
            withoutCertificate.put("splitguard.kafka.client.ssl.truststore.password", tls.password());
            try (GatewayServer gateway = Fixtures.start(withoutCertificate)) {
                TestHttp http = new TestHttp(gateway.url());
                String key = "no-cert-" + UUID.randomUUID();
                HttpResponse<String> refused = http.post(
                        Fixtures.UPDATE,
                        Fixtures.update(Fixtures.newSession(), "no certificate", null),
                        "Authorization",
                        token,
                        "Content-Type",
                        "application/json",
                        "Idempotency-Key",
                        key);
                assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
                assertThat(http.get("/health/ready").statusCode()).isNotEqualTo(200);
                assertThat(Fixtures.mutationsWithKey(kafka.bootstrapServers(), catalog, key))
                        .isEmpty();
            }
        }
    }
}
