package io.splitguard.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalInfraIT {

    @Test
    void shouldKeepRecordsAcrossBrokerRestartOnTheSameDataDir(@TempDir Path dir) throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"), 0)) {
            try (Admin admin =
                    Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("smoke", 1, (short) 1)))
                        .all()
                        .get(30, TimeUnit.SECONDS);
            }
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(
                    Map.of(
                            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                            kafka.bootstrapServers(),
                            ProducerConfig.ACKS_CONFIG,
                            "all"),
                    new StringSerializer(),
                    new StringSerializer())) {
                producer.send(new ProducerRecord<>("smoke", "k", "v1")).get(30, TimeUnit.SECONDS);
            }
            kafka.stop();
            assertThat(kafka.isRunning()).isFalse();
            kafka.start();
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(
                    Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                    new StringDeserializer(),
                    new StringDeserializer())) {
                TopicPartition tp = new TopicPartition("smoke", 0);
                consumer.assign(List.of(tp));
                consumer.seekToBeginning(List.of(tp));
                ConsumerRecords<String, String> records = ConsumerRecords.empty();
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (records.isEmpty() && System.nanoTime() < deadline) {
                    records = consumer.poll(Duration.ofMillis(200));
                }
                assertThat(records.records(tp)).extracting(r -> r.value()).containsExactly("v1");
            }
        }
    }

    @Test
    void shouldCreateIsolatedDatabases(@TempDir Path dir) throws Exception {
        try (LocalPostgres pg = LocalPostgres.start(dir, false)) {
            String url = pg.createDatabase("smoke_db");
            try (Connection c = DriverManager.getConnection(url, pg.user(), pg.password());
                    Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("select current_database()")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("smoke_db");
            }
        }
    }

    @Test
    void shouldKeepCommittedRowsWhenSuspendedAndResumed(@TempDir Path dir) throws Exception {
        try (LocalPostgres pg = LocalPostgres.start(dir, true)) {
            String url = pg.createDatabase("suspend_db");
            try (Connection c = DriverManager.getConnection(url, pg.user(), pg.password());
                    Statement s = c.createStatement()) {
                s.execute("create table t (v text)");
                s.execute("insert into t values ('kept')");
            }

            pg.suspend();
            assertThat(pg.isRunning()).isFalse();
            assertThatThrownBy(() -> DriverManager.getConnection(url, pg.user(), pg.password()))
                    .isInstanceOf(java.sql.SQLException.class);
            pg.resumeServer();

            assertThat(pg.isRunning()).isTrue();
            try (Connection c = DriverManager.getConnection(url, pg.user(), pg.password());
                    Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("select v from t")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("kept");
            }
        }
    }
}
