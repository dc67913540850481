package io.splitguard.launcher;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * The exactly-once scenario on containers (Apache Kafka image, PostgreSQL 15). Opt-in: failsafe includes it
 * only with {@code -Pdocker}, and it skips itself, saying why, where no Docker engine answers.
 */
@ExtendWith(ExactlyOnceDockerIT.RequiresDocker.class)
@Testcontainers
class ExactlyOnceDockerIT extends ExactlyOnceScenario {

    /** Evaluated before any container starts: without a Docker engine the class is skipped, not failed. */
    static final class RequiresDocker implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            return DockerClientFactory.instance().isDockerAvailable()
                    ? ConditionEvaluationResult.enabled("a Docker engine answers")
                    : ConditionEvaluationResult.disabled("no Docker engine answers: the Testcontainers variant"
                            + " (apache/kafka, postgres:15-alpine) needs one; skipped");
        }
    }

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
