package io.splitguard.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.splitguard.testsupport.SharedInfra;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The packaged tool ({@code java -jar splitguard-admin.jar}) works on its own, configured by the
 * environment only: Flyway's database support and the drivers survive the shading.
 */
@ExtendWith(SharedInfra.class)
class ShadedJarIT {

    private static final Path JAR = Paths.get("target", "splitguard-admin.jar");

    @Test
    void shouldReplayFromTheCommandLineOfThePackagedJar() throws Exception {
        assertThat(JAR).as("built by mvn package").exists();
        try (AdminTestKit kit = new AdminTestKit("jar")) {
            kit.commit(List.of(
                    kit.record(AdminTestKit.mutation("s-alpha", 1, "a1", null)),
                    kit.record(AdminTestKit.mutation("s-beta", 1, "b1", null))));

            Result result = run(kit, "replay", "--into-schema", "from_jar");

            assertThat(result.exitCode()).as(result.output()).isZero();
            assertThat(result.output()).contains("2 written");
            assertThat(kit.count("SELECT count(*) FROM from_jar.crm_contact_updates"))
                    .isEqualTo(2);
        }
    }

    private record Result(int exitCode, String output) {}

    private static Result run(AdminTestKit kit, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-jar");
        command.add(JAR.toString());
        command.addAll(List.of(args));
        File log =
                Files.createTempFile(Paths.get("target"), "admin-jar-", ".log").toFile();
        ProcessBuilder pb =
                new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log);
        pb.environment().putAll(kit.env);
        Process process = pb.start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the admin jar did not finish within 120 s: "
                    + Files.readString(log.toPath(), StandardCharsets.UTF_8));
        }
        return new Result(process.exitValue(), Files.readString(log.toPath(), StandardCharsets.UTF_8));
    }
}
