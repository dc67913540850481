package io.splitguard.gateway.logs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class LogLeakCheckTest {

    private static final String TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzY29wZSI6InNlc3Npb246d3JpdGUifQ.c2lnbmF0dXJl";

    @Test
    void shouldPassWhenTheLinesAreCleanJson() {
        String output = "{\"level\":\"INFO\",\"formattedMessage\":\"started\"}\n{\"level\":\"DEBUG\",\"mdc\":{}}\n";
        assertThat(LogLeakCheck.problems(output, List.of(TOKEN))).isEmpty();
        assertThat(LogLeakCheck.lines(output)).hasSize(2);
    }

    @Test
    void shouldCatchATokenWhenItIsPlanted() {
        String output = "{\"level\":\"INFO\",\"formattedMessage\":\"started\"}\n"
                + "{\"level\":\"DEBUG\",\"formattedMessage\":\"Authorization: Bearer " + TOKEN + "\"}\n";
        assertThat(LogLeakCheck.problems(output, List.of(TOKEN)))
                .singleElement()
                .asString()
                .startsWith("leaks a secret");
    }

    @Test
    void shouldCatchALineWhenItIsPlainText() {
        String output = "{\"level\":\"INFO\"}\n12:00:00.000 INFO  [main] x - plain text\n";
        assertThat(LogLeakCheck.problems(output, List.of(TOKEN)))
                .singleElement()
                .asString()
                .startsWith("line 2 is not JSON");
    }

    @Test
    void shouldRefuseAnEmptySecret() {
        assertThatThrownBy(() -> LogLeakCheck.problems("{}", List.of(""))).isInstanceOf(IllegalArgumentException.class);
    }
}
