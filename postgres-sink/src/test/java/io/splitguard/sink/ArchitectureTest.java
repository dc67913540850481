package io.splitguard.sink;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The sink's layers: SQL lives in {@code db}; decisions in {@code consumer} know no database or client. */
class ArchitectureTest {

    private final JavaClasses classes = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.splitguard.sink");

    @Test
    void shouldLetOnlyTheDbPackageTalkJdbcOrMigrate() {
        noClasses()
                .that()
                .resideOutsideOfPackage("..sink.db..")
                .should()
                .dependOnClassesThat()
                .haveFullyQualifiedName("java.sql.Connection")
                .orShould()
                .dependOnClassesThat()
                .haveFullyQualifiedName("java.sql.Statement")
                .orShould()
                .dependOnClassesThat()
                .haveFullyQualifiedName("java.sql.PreparedStatement")
                .orShould()
                .dependOnClassesThat()
                .haveFullyQualifiedName("java.sql.ResultSet")
                .orShould()
                .dependOnClassesThat()
                .haveFullyQualifiedName("java.sql.DriverManager")
                .orShould()
                .dependOnClassesThat()
                .resideInAnyPackage("org.postgresql..", "org.flywaydb..")
                .check(classes);
    }

    @Test
    void shouldKeepDecisionsUnawareOfTheDatabaseAndTheKafkaClients() {
        noClasses()
                .that()
                .resideInAPackage("..sink.consumer..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "java.sql..",
                        "javax.sql..",
                        "..sink.db..",
                        "org.apache.kafka.clients.producer..",
                        "org.apache.kafka.clients.admin..")
                .check(classes);
    }

    @Test
    void shouldLetNothingDependOnHowTheSinkIsRun() {
        noClasses()
                .that()
                .resideOutsideOfPackage("..sink.app..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("..sink.app..", "io.splitguard.health.ManagementServer")
                .check(classes);
    }
}
