package io.splitguard.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChildJvmTest {

    /** The child: says it is ready, echoes lines, exits with the code it is told. */
    public static final class Echo {
        public static void main(String[] args) throws Exception {
            System.out.println("ready " + System.getenv("ECHO_GREETING") + " " + String.join(",", args));
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null; ) {
                if (line.startsWith("exit ")) {
                    System.exit(Integer.parseInt(line.substring(5)));
                }
                System.out.println("echo " + line);
                System.out.flush();
            }
        }
    }

    @TempDir
    Path dir;

    @Test
    void shouldLetAPipedChildTalkFreezeThawAndExitWithItsCode() throws Exception {
        ChildJvm.Spec spec = ChildJvm.Spec.of(
                        "echo", Echo.class.getName(), Map.of("ECHO_GREETING", "hi"), dir.resolve("echo.log"))
                .withArgs(List.of("a", "b"))
                .withPipedStdout();
        ChildJvm child = ChildJvm.start(spec);
        BufferedReader out = new BufferedReader(new InputStreamReader(child.stdout(), StandardCharsets.UTF_8));
        Writer in = new OutputStreamWriter(child.stdin(), StandardCharsets.UTF_8);
        assertThat(out.readLine()).isEqualTo("ready hi a,b");
        assertThat(child.isAlive()).isTrue();
        assertThat(child.exitValue()).isEmpty();

        child.signal("STOP");
        child.signal("CONT");
        in.write("ping\n");
        in.flush();
        assertThat(out.readLine()).isEqualTo("echo ping");

        in.write("exit 3\n");
        in.flush();
        assertThat(child.awaitExit(Duration.ofSeconds(30))).isTrue();
        assertThat(child.exitValue()).contains(3);
        assertThat(Files.readString(dir.resolve("echo.log"))).contains("starting echo");
        assertThatThrownBy(() -> child.signal("CONT")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void shouldAppendOutputAcrossStartsAndTreatKillAsACrashWhenInLogMode() throws Exception {
        Path log = dir.resolve("logged.log");
        ChildJvm.Spec spec = ChildJvm.Spec.of("logged", Echo.class.getName(), Map.of("ECHO_GREETING", "first"), log);
        ChildJvm first = ChildJvm.start(spec);
        // stdin is /dev/null: the child prints its greeting and ends on end of input
        assertThat(first.awaitExit(Duration.ofSeconds(30))).isTrue();
        assertThat(first.exitValue()).contains(0);

        ChildJvm second = ChildJvm.start(spec, Map.of("ECHO_GREETING", "second"));
        assertThat(second.awaitExit(Duration.ofSeconds(30))).isTrue();
        String text = Files.readString(log);
        assertThat(text).contains("ready first").contains("ready second").contains("with {ECHO_GREETING=second}");
        assertThatThrownBy(second::stdout).isInstanceOf(IllegalStateException.class);

        ChildJvm blocked = ChildJvm.start(spec.withPipedStdout());
        blocked.kill();
        assertThat(blocked.isAlive()).isFalse();
        assertThat(blocked.exitValue()).contains(137);
    }
}
