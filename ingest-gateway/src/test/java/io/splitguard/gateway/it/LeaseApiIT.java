package io.splitguard.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.splitguard.gateway.app.GatewayServer;
import io.splitguard.schemas.config.CommonSettings;
import io.splitguard.schemas.model.AuditRecord;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.testsupport.SharedInfra;
import io.splitguard.testsupport.TestHttp;
import io.splitguard.topology.app.DedupStreams;
import io.splitguard.topology.config.DedupConfig;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The lease API end to end on the real broker: the gateway writes each request as a command, the dedup
 * topology's owner of the resource's partition decides, the gateway answers with that decision.
 */
@ExtendWith(SharedInfra.class)
class LeaseApiIT {

    private static final List<AutoCloseable> OPEN = new ArrayList<>();
    private static final String WRITE = Fixtures.token("acme", "session:write");
    private static final String READ = Fixtures.token("acme", "session:read");
    private static final String ADMIN = Fixtures.token("acme", "admin");

    private static TestHttp gateway;
    private static TestHttp otherRegion;
    private static TestHttp noDecider;
    private static String bootstrapServers;
    private static TopicCatalog topics;

    @BeforeAll
    static void start() throws IOException {
        String bootstrap = SharedInfra.kafka().bootstrapServers();
        String prefix = SharedInfra.uniqueName("leases") + ".";
        TopicCatalog catalog = Fixtures.catalog(prefix);
        Fixtures.bootstrap(bootstrap, catalog);
        DedupStreams topology = DedupStreams.start(
                DedupConfig.fromEnv(
                        Map.of(
                                DedupConfig.APPLICATION_ID,
                                prefix + "dedup",
                                CommonSettings.BOOTSTRAP_SERVERS,
                                bootstrap,
                                DedupConfig.STATE_DIR,
                                Files.createTempDirectory("lease-api").toString(),
                                DedupConfig.COMMIT_INTERVAL_MS,
                                "50"),
                        catalog.deadLetters.name()),
                catalog);
        OPEN.add(topology);
        GatewayServer server = Fixtures.start(Fixtures.properties(bootstrap, prefix));
        OPEN.add(server);
        gateway = new TestHttp(server.url());
        GatewayServer second = Fixtures.start(Fixtures.properties(bootstrap, prefix));
        OPEN.add(second);
        otherRegion = new TestHttp(second.url());
        bootstrapServers = bootstrap;
        topics = catalog;

        // the same topics, nobody deciding: every command waits out the decision bound
        String orphan = SharedInfra.uniqueName("leases-orphan") + ".";
        Fixtures.bootstrap(bootstrap, Fixtures.catalog(orphan));
        Map<String, Object> properties = Fixtures.properties(bootstrap, orphan);
        properties.put("splitguard.gateway.lease.decision-timeout", "1s");
        GatewayServer lonely = Fixtures.start(properties);
        OPEN.add(lonely);
        noDecider = new TestHttp(lonely.url());
        await().atMost(Duration.ofSeconds(60)).until(topology::isRunning);
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : OPEN) {
            c.close();
        }
    }

    private static HttpResponse<String> post(TestHttp via, String action, String body, String token) {
        return via.post(
                "/api/v1/state/locks/" + action,
                body.getBytes(StandardCharsets.UTF_8),
                "Content-Type",
                "application/json",
                "Authorization",
                token);
    }

    private static HttpResponse<String> acquire(String resource, String region, String correlation) {
        return post(
                gateway,
                "acquire",
                "{\"resource_id\":\"" + resource + "\",\"region_origin\":\"" + region
                        + "\",\"lock_ttl_ms\":30000,\"operation_type\":\"crm_sync\",\"correlation_id\":\""
                        + correlation + "\"}",
                WRITE);
    }

    private static HttpResponse<String> withToken(String action, String resource, String token) {
        return post(gateway, action, "{\"resource_id\":\"" + resource + "\",\"lock_token\":\"" + token + "\"}", WRITE);
    }

    @Test
    void shouldGrantOneHolderAndAnswerEveryOtherRequestByTheDecisionOfThePartitionOwner() {
        String resource = "sess-" + UUID.randomUUID();
        String correlation = UUID.randomUUID().toString();

        HttpResponse<String> granted = await().atMost(Duration.ofSeconds(30))
                .until(() -> acquire(resource, "us-east", correlation), r -> r.statusCode() != 503);
        assertThat(granted.statusCode()).as(granted.body()).isEqualTo(200);
        JsonNode grant = Fixtures.json(granted);
        String lockToken = grant.path("lock_token").asText();
        long fencingToken = grant.path("fencing_token").asLong();
        assertThat(lockToken).isNotBlank();
        assertThat(grant.path("holder_region").asText()).isEqualTo("us-east");
        assertThat(Instant.parse(grant.path("expires_at").asText())).isAfter(Instant.now());

        // a retry of the same acquisition gets the same grant
        HttpResponse<String> retried = acquire(resource, "us-east", correlation);
        assertThat(retried.statusCode()).as(retried.body()).isEqualTo(200);
        assertThat(Fixtures.json(retried).path("lock_token").asText()).isEqualTo(lockToken);
        assertThat(Fixtures.json(retried).path("fencing_token").asLong()).isEqualTo(fencingToken);

        HttpResponse<String> conflict =
                acquire(resource, "eu-west", UUID.randomUUID().toString());
        assertThat(conflict.statusCode()).as(conflict.body()).isEqualTo(409);
        assertThat(Fixtures.json(conflict).path("holder_region").asText()).isEqualTo("us-east");
        assertThat(Fixtures.json(conflict).path("retry_after_ms").asLong()).isPositive();
        assertThat(conflict.headers().firstValue("Retry-After")).isPresent();

        assertThat(withToken("heartbeat", resource, lockToken).statusCode()).isEqualTo(200);
        assertThat(withToken("heartbeat", resource, "not-the-token").statusCode())
                .isEqualTo(409);
        assertThat(withToken("release", resource, "not-the-token").statusCode()).isEqualTo(409);
        assertThat(withToken("release", resource, lockToken).statusCode()).isEqualTo(200);
        assertThat(withToken("heartbeat", resource, lockToken).statusCode())
                .as("a released lease is gone")
                .isEqualTo(409);

        // a clean release frees the resource at once, with a newer fencing token
        HttpResponse<String> next =
                acquire(resource, "eu-west", UUID.randomUUID().toString());
        assertThat(next.statusCode()).as(next.body()).isEqualTo(200);
        assertThat(Fixtures.json(next).path("fencing_token").asLong()).isGreaterThan(fencingToken);
    }

    @Test
    void shouldNeverGrantTwoHoldersOfOneResourceWhenTwoRegionsContendForTwoHundredResources() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        List<String> resources = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            resources.add("contend-" + run + "-" + i);
        }
        Map<String, List<Long>> grantedTokens = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<?>> work = new ArrayList<>();
            for (String[] region : new String[][] {{"us-east", "a"}, {"eu-west", "b"}}) {
                TestHttp via = region[1].equals("a") ? gateway : otherRegion;
                for (String resource : resources) {
                    work.add(pool.submit(() -> {
                        for (int round = 0; round < 2; round++) {
                            HttpResponse<String> r = post(
                                    via,
                                    "acquire",
                                    "{\"resource_id\":\"" + resource + "\",\"region_origin\":\"" + region[0]
                                            + "\",\"lock_ttl_ms\":30000,\"correlation_id\":\"" + UUID.randomUUID()
                                            + "\"}",
                                    WRITE);
                            if (r.statusCode() == 200) {
                                JsonNode grant = Fixtures.json(r);
                                grantedTokens
                                        .computeIfAbsent(
                                                resource,
                                                k -> java.util.Collections.synchronizedList(new ArrayList<>()))
                                        .add(grant.path("fencing_token").asLong());
                                HttpResponse<String> released = post(
                                        via,
                                        "release",
                                        "{\"resource_id\":\"" + resource + "\",\"lock_token\":\""
                                                + grant.path("lock_token").asText() + "\"}",
                                        WRITE);
                                assertThat(released.statusCode())
                                        .as(released.body())
                                        .isEqualTo(200);
                            } else {
                                assertThat(r.statusCode()).as(r.body()).isIn(409, 503);
                            }
                        }
                        return null;
                    }));
                }
            }
            for (Future<?> f : work) {
                f.get(5, java.util.concurrent.TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(grantedTokens).as("a run without grants proves nothing").hasSizeGreaterThan(100);

        // the decisions in the order the owner made them, from the audit topic
        Map<String, List<AuditRecord>> history = leaseAudit(resources.size() * 4, run);
        int grants = 0;
        for (String resource : resources) {
            Long holding = null;
            long lastToken = 0;
            List<Long> seen = new ArrayList<>();
            for (AuditRecord a : history.getOrDefault(resource, List.of())) {
                switch (a.decision()) {
                    case LEASE_GRANTED -> {
                        assertThat(holding)
                                .as(resource + ": granted while token " + holding + " is held")
                                .isNull();
                        assertThat(a.sequence())
                                .as(resource + ": tokens strictly increase")
                                .isGreaterThan(lastToken);
                        holding = a.sequence();
                        lastToken = a.sequence();
                        seen.add(a.sequence());
                        grants++;
                    }
                    case LEASE_RELEASED, LEASE_EXPIRED, LEASE_OVERRIDDEN -> {
                        assertThat(a.sequence())
                                .as(resource + ": ends the lease it holds")
                                .isEqualTo(holding);
                        holding = null;
                    }
                    default -> {}
                }
            }
            // every grant a client was told about is one the owner recorded, and no other
            assertThat(seen)
                    .as(resource)
                    .containsExactlyInAnyOrderElementsOf(grantedTokens.getOrDefault(resource, List.of()));
        }
        assertThat(grants)
                .isEqualTo(grantedTokens.values().stream().mapToInt(List::size).sum());
    }

    /** Lease audit records of this run's resources, per resource in topic order, once the topic has them all. */
    private static Map<String, List<AuditRecord>> leaseAudit(int atLeast, String run) {
        Map<String, Object> config = new java.util.HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        Map<String, List<AuditRecord>> found = new java.util.HashMap<>();
        try (KafkaConsumer<String, AuditRecord> consumer = new KafkaConsumer<>(
                config,
                topics.audit.keySerde().deserializer(),
                topics.audit.valueSerde().deserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (int i = 0; i < topics.sessionPartitions(); i++) {
                partitions.add(new TopicPartition(topics.audit.name(), i));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                for (ConsumerRecord<String, AuditRecord> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.key() != null && r.key().startsWith("contend-" + run)) {
                        found.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.value());
                    }
                }
                for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
                    if (consumer.position(e.getKey()) < e.getValue()) {
                        return false;
                    }
                }
                return true;
            });
        }
        assertThat(found.values().stream().mapToInt(List::size).sum()).isGreaterThanOrEqualTo(atLeast / 4);
        return found;
    }

    @Test
    void shouldShowOperatorsTheOwnersViewOfALeaseWithoutItsTokenWhenAskedWithTheAdminScope() {
        String resource = "sess-" + UUID.randomUUID();
        HttpResponse<String> granted = await().atMost(Duration.ofSeconds(30))
                .until(() -> acquire(resource, "us-east", UUID.randomUUID().toString()), r -> r.statusCode() != 503);
        assertThat(granted.statusCode()).as(granted.body()).isEqualTo(200);
        JsonNode grant = Fixtures.json(granted);

        // asked through the other gateway instance: the owner answers, in order after the grant
        HttpResponse<String> held = otherRegion.get("/api/v1/state/locks/" + resource, "Authorization", ADMIN);

        assertThat(held.statusCode()).as(held.body()).isEqualTo(200);
        JsonNode view = Fixtures.json(held);
        assertThat(view.path("state").asText()).isEqualTo("held");
        assertThat(view.path("resource_id").asText()).isEqualTo(resource);
        assertThat(view.path("holder_region").asText()).isEqualTo("us-east");
        assertThat(view.path("fencing_token").asLong())
                .isEqualTo(grant.path("fencing_token").asLong());
        assertThat(view.path("operation_type").asText()).isEqualTo("crm_sync");
        assertThat(view.path("expires_at").asText())
                .isEqualTo(grant.path("expires_at").asText());
        assertThat(Instant.parse(view.path("stale_at").asText()))
                .isEqualTo(
                        Instant.parse(view.path("last_heartbeat_at").asText()).plusSeconds(15));
        assertThat(view.has("as_of")).isTrue();
        assertThat(held.body())
                .doesNotContain(grant.path("lock_token").asText())
                .doesNotContain("lock_token");

        assertThat(withToken("release", resource, grant.path("lock_token").asText())
                        .statusCode())
                .isEqualTo(200);
        JsonNode free = Fixtures.json(gateway.get("/api/v1/state/locks/" + resource, "Authorization", ADMIN));
        assertThat(free.path("state").asText()).isEqualTo("free");
        assertThat(free.has("holder_region")).isFalse();

        assertThat(gateway.get("/api/v1/state/locks/" + resource, "Authorization", WRITE)
                        .statusCode())
                .as("operators only")
                .isEqualTo(403);
        assertThat(gateway.get("/api/v1/state/locks/" + resource).statusCode()).isEqualTo(401);
        assertThat(gateway.get("/api/v1/state/locks/" + "r".repeat(256), "Authorization", ADMIN)
                        .statusCode())
                .isEqualTo(400);
        HttpResponse<String> unanswered = noDecider.get("/api/v1/state/locks/" + resource, "Authorization", ADMIN);
        assertThat(unanswered.statusCode()).as(unanswered.body()).isEqualTo(503);
        assertThat(unanswered.headers().firstValue("Retry-After")).isPresent();
    }

    @Test
    void shouldRefuseBodiesOutsideTheContractBeforeSendingAnything() {
        String resource = "sess-" + UUID.randomUUID();
        assertThat(post(gateway, "acquire", "{not json", WRITE).statusCode()).isEqualTo(400);
        assertThat(post(gateway, "acquire", "[]", WRITE).statusCode()).isEqualTo(400);
        HttpResponse<String> noCorrelation = post(
                gateway,
                "acquire",
                "{\"resource_id\":\"" + resource + "\",\"region_origin\":\"us-east\",\"lock_ttl_ms\":30000}",
                WRITE);
        assertThat(noCorrelation.statusCode()).as(noCorrelation.body()).isEqualTo(422);
        HttpResponse<String> ttl = post(
                gateway,
                "acquire",
                "{\"resource_id\":\"" + resource
                        + "\",\"region_origin\":\"us-east\",\"lock_ttl_ms\":5,\"correlation_id\":\"c\"}",
                WRITE);
        assertThat(ttl.statusCode()).as(ttl.body()).isEqualTo(422);
        HttpResponse<String> unknown = post(
                gateway, "heartbeat", "{\"resource_id\":\"" + resource + "\",\"lock_token\":\"t\",\"x\":1}", WRITE);
        assertThat(unknown.statusCode()).isEqualTo(422);
        assertThat(Fixtures.json(unknown).path("errors").toString()).contains("x");
        assertThat(post(gateway, "release", "{\"resource_id\":\"" + resource + "\"}", WRITE)
                        .statusCode())
                .isEqualTo(422);
        assertThat(post(gateway, "release", "{\"resource_id\":\"r\",\"lock_token\":\"t\"}", READ)
                        .statusCode())
                .isEqualTo(403);
        assertThat(gateway.post(
                                "/api/v1/state/locks/release",
                                "{}".getBytes(StandardCharsets.UTF_8),
                                "Content-Type",
                                "application/json")
                        .statusCode())
                .isEqualTo(401);
    }

    @Test
    void shouldAnswer503WithRetryAfterAndNeverA2xxWhenNoDecisionComes() {
        await().atMost(Duration.ofSeconds(30))
                .until(() -> post(noDecider, "heartbeat", "{\"resource_id\":\"r\",\"lock_token\":\"t\"}", WRITE)
                                .statusCode()
                        == 503);
        HttpResponse<String> r = post(
                noDecider,
                "acquire",
                "{\"resource_id\":\"r-1\",\"region_origin\":\"us-east\",\"lock_ttl_ms\":30000,\"correlation_id\":\"c-1\"}",
                WRITE);

        assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
        assertThat(r.headers().firstValue("Retry-After")).isPresent();
        JsonNode problem = Fixtures.json(r);
        assertThat(problem.path("type").asText()).endsWith("lease-decision-timeout");
        assertThat(problem.path("detail").asText()).contains("same correlation_id");
    }
}
