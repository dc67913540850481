package io.splitguard.gateway;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The gateway's layers: HTTP in {@code api}, Kafka clients in {@code kafka}, the database lookup in
 * {@code idempotency}; the idempotency cache's decisions know neither HTTP nor Kafka.
 */
class ArchitectureTest {

    private final JavaClasses classes = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.splitguard.gateway");

    @Test
    void shouldKeepKafkaClientsInTheKafkaPackage() {
        noClasses()
                .that()
                .resideOutsideOfPackage("..gateway.kafka..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("org.apache.kafka.clients..")
                .check(classes);
    }

    @Test
    void shouldKeepJdbcInTheIdempotencyLookup() {
        noClasses()
                .that()
                .resideOutsideOfPackage("..gateway.idempotency..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("java.sql..", "javax.sql..", "com.zaxxer.hikari..", "org.postgresql..")
                .check(classes);
    }

    @Test
    void shouldKeepIdempotencyDecisionsFreeOfHttpAndKafka() {
        noClasses()
                .that()
                .resideInAPackage("..gateway.idempotency..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("io.micronaut.http..", "..gateway.api..", "..gateway.kafka..", "org.apache.kafka..")
                .check(classes);
    }

    @Test
    void shouldNotDependOnHowTheGatewayIsRun() {
        noClasses()
                .that()
                .resideOutsideOfPackage("..gateway.app..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("..gateway.app..")
                .check(classes);
    }

    @Test
    void shouldKeepHttpOutOfTheKafkaAndSecurityLayers() {
        noClasses()
                .that()
                .resideInAnyPackage("..gateway.kafka..", "..gateway.config..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("io.micronaut.http..", "..gateway.api..")
                .check(classes);
    }
}
