package io.splitguard.chaos.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.splitguard.chaos.ChaosPreconditions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The process layer against the real thing: three broker JVMs in their own namespaces, a topic with
 * RF 3 and min ISR 2, an idempotent acks=all producer in this JVM, and one fault of each kind on a
 * different node. Every send must be acknowledged and every acknowledged record must be in the log.
 */
class BrokerClusterIT {

    private static final String TOPIC = "cluster-it";
    private static final int PARTITIONS = 3;

    private int acked;

    @BeforeEach
    void needsRootAndIproute2() {
        ChaosPreconditions.assumeRootAndIproute2();
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void shouldKeepAcknowledgingWritesWhenOneNodeIsKilledCutOffOrFrozen(@TempDir Path dir) throws Exception {
        // Given a running cluster and a replicated topic
        Netns netns = Netns.create();
        BrokerCluster cluster = BrokerCluster.start(dir, netns);
        List<Long> pids = new ArrayList<>();
        try (Admin admin =
                        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()));
                KafkaProducer<String, String> producer = producer(cluster)) {
            for (int i = 1; i <= cluster.size(); i++) {
                pids.add(cluster.pid(i));
                assertThat(ProcessHandle.of(cluster.pid(i))
                                .flatMap(h -> h.info().command()))
                        .as("the pid we hold is the broker JVM itself, not the 'ip netns exec' wrapper")
                        .hasValueSatisfying(command -> assertThat(command).endsWith("/java"));
            }
            admin.createTopics(List.of(
                            new NewTopic(TOPIC, PARTITIONS, (short) 3).configs(Map.of("min.insync.replicas", "2"))))
                    .all()
                    .get(30, TimeUnit.SECONDS);
            send(producer, 20);

            // When node 2 crashes, then Then the two in-sync replicas left still acknowledge
            cluster.kill(2);
            assertThat(cluster.isRunning(2)).isFalse();
            send(producer, 20);

            // When it comes back on its data, it rejoins the ISR
            cluster.restart(2);
            assertThat(cluster.isRunning(2)).isTrue();
            pids.add(cluster.pid(2));
            cluster.awaitFullyReplicated(Duration.ofSeconds(60));

            // When node 3 is cut off the network, it is unreachable but writes go on
            cluster.isolate(3);
            assertThat(cluster.isIsolated(3)).isTrue();
            assertThat(Netns.canConnect(BrokerCluster.address(3), BrokerCluster.BROKER_PORT, Duration.ofSeconds(1)))
                    .isFalse();
            assertThat(cluster.isRunning(3)).isTrue();
            send(producer, 20);
            cluster.heal(3);
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> Netns.canConnect(
                            BrokerCluster.address(3), BrokerCluster.BROKER_PORT, Duration.ofSeconds(1)));
            cluster.awaitFullyReplicated(Duration.ofSeconds(60));

            // When node 1 freezes, writes go on; when it thaws, it catches up
            cluster.pause(1);
            assertThat(cluster.isPaused(1)).isTrue();
            send(producer, 20);
            cluster.resume(1);
            cluster.awaitFullyReplicated(Duration.ofSeconds(60));
            cluster.awaitAllRegistered(Duration.ofSeconds(30));
            send(producer, 20);

            // Then every acknowledged record is in the log, once (idempotent producer)
            Map<TopicPartition, OffsetSpec> latest = new java.util.HashMap<>();
            for (int p = 0; p < PARTITIONS; p++) {
                latest.put(new TopicPartition(TOPIC, p), OffsetSpec.latest());
            }
            long total = admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).values().stream()
                    .mapToLong(info -> info.offset())
                    .sum();
            assertThat(total).isEqualTo(acked).isEqualTo(100);
        } finally {
            cluster.close();
        }

        // Then close leaves no broker process and no namespace behind
        assertThat(pids.stream()
                        .filter(pid -> ProcessHandle.of(pid)
                                .map(ProcessHandle::isAlive)
                                .orElse(false))
                        .collect(Collectors.toList()))
                .isEmpty();
        assertThat(Netns.existingNamespaces()).isEmpty();
    }

    private void send(KafkaProducer<String, String> producer, int count) throws Exception {
        List<java.util.concurrent.Future<?>> sends = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            sends.add(producer.send(new ProducerRecord<>(TOPIC, "key-" + acked + "-" + i, "value")));
        }
        for (java.util.concurrent.Future<?> send : sends) {
            send.get(60, TimeUnit.SECONDS);
            acked++;
        }
    }

    private static KafkaProducer<String, String> producer(BrokerCluster cluster) {
        return new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                        ProducerConfig.ACKS_CONFIG, "all",
                        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000,
                        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 50_000,
                        ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000,
                        ProducerConfig.LINGER_MS_CONFIG, 0),
                new StringSerializer(),
                new StringSerializer());
    }
}
