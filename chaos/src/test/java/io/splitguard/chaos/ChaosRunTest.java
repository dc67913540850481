package io.splitguard.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.splitguard.chaos.cluster.NodeProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
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

    /** A child that says goodbye and exits with the code it is given. */
    public static final class ExitWith {
        public static void main(String[] args) {
            System.out.println("goodbye from a service that gave up");
            System.exit(Integer.parseInt(args[0]));
        }
    }

    /** A child that runs until it is killed: it waits on a latch nothing ever opens. */
    public static final class RunsOn {
        public static void main(String[] args) throws InterruptedException {
            System.out.println("running");
            new CountDownLatch(1).await();
        }
    }

    @Test
    void shouldReportAServiceWhoseProcessExitedAndNotOneStillRunning(@TempDir Path dir) {
        NodeProcess exited = new NodeProcess(
                "sink-0",
                List.of(),
                List.of(),
                ExitWith.class.getName(),
                List.of("3"),
                Map.of(),
                dir.resolve("sink-0.log"));
        NodeProcess running = new NodeProcess(
                "gateway-0",
                List.of(),
                List.of(),
                RunsOn.class.getName(),
                List.of(),
                Map.of(),
                dir.resolve("gw-0.log"));
        exited.start();
        running.start();
        try {
            exited.awaitStopped(Duration.ofSeconds(30));

            List<String> report = ChaosRun.notRunning(List.of(exited, running));

            assertThat(report).hasSize(1);
            assertThat(report.get(0))
                    .startsWith("sink-0 is not running (exit 3)")
                    .contains("goodbye from a service that gave up");
        } finally {
            running.kill();
        }
        // once it is gone too, both are reported
        assertThat(ChaosRun.notRunning(List.of(exited, running))).hasSize(2);
    }
}
