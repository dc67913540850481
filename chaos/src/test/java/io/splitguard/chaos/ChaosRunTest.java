package io.splitguard.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChaosRunTest {

    @Test
    void shouldKeepTheLastLinesOfAServiceLogForTheErrorMessage(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("gateway-0.log");
        Files.writeString(
                log, IntStream.rangeClosed(1, 100).mapToObj(i -> "line " + i).collect(Collectors.joining("\n")));

        String tail = ChaosRun.tail(log, 3);

        assertThat(tail).isEqualTo("line 98\nline 99\nline 100");
        assertThat(ChaosRun.tail(dir.resolve("missing.log"), 3)).startsWith("(cannot read");
    }
}
