package io.splitguard.checkpoint;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

class ArchitectureTest {

    private final JavaClasses classes = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.splitguard.checkpoint");

    @Test
    void shouldKeepTopologyCodeIndependentOfFrameworksAndTheDatabase() {
        noClasses()
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("io.micronaut..", "java.sql..", "javax.sql..", "org.postgresql..")
                .check(classes);
    }

    @Test
    void shouldLetNoCodeTouchRocksDbDirectly() {
        noClasses()
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("org.rocksdb..")
                .check(classes);
    }

    @Test
    void shouldKeepProcessorsUnawareOfHowTheyAreRun() {
        noClasses()
                .that()
                .resideInAPackage("..checkpoint.processor..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("..checkpoint.app..", "org.apache.kafka.streams.KafkaStreams")
                .check(classes);
    }

    @Test
    void shouldKeepTheCheckpointTopologyIndependentOfTheDedupTopology() {
        noClasses()
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("io.splitguard.topology..")
                .check(classes);
    }
}
