package io.splitguard.launcher;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * The exactly-once scenario on containers (Apache Kafka image, PostgreSQL 15). Opt-in: runs with
 * {@code -Pdocker} and only where a Docker engine answers.
 */
@Testcontainers(disabledWithoutDocker = true)
class ExactlyOnceDockerIT extends ExactlyOnceScenario {

    @Container
    static final KafkaContainer KAFKA = new KafkaContainer("apache/kafka:4.1.1");

    @Container
    static final PostgreSQLContainer POSTGRES = new PostgreSQLContainer("postgres:15-alpine")
            .withUsername("postgres")
            .withPassword("postgres")
            .withEnv("POSTGRES_HOST_AUTH_METHOD", "trust");

    @Override
    String bootstrapServers() {
        return KAFKA.getBootstrapServers();
    }

    @Override
    String newDatabase(String name) {
        try (Connection c = DriverManager.getConnection(POSTGRES.getJdbcUrl(), "postgres", "");
                Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return POSTGRES.getJdbcUrl().replaceFirst("/[^/?]+(\\?|$)", "/" + name + "$1");
    }
}
