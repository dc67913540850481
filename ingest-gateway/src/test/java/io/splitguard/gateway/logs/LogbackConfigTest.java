package io.splitguard.gateway.logs;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.MDC;

/** The gateway's logback.xml (shared by every service) writes one JSON object per line, or text on request. */
class LogbackConfigTest {

    private static URL config() {
        URL url = LogbackConfigTest.class.getResource("/logback.xml");
        assertThat(url).isNotNull();
        assertThat(url.toString()).contains("ingest-gateway");
        return url;
    }

    private static LoggerContext freshContext() {
        LoggerContext context = new LoggerContext();
        // the MDC the application writes to is SLF4J's, which the global context owns
        context.setMDCAdapter(MDC.getMDCAdapter());
        context.start();
        return context;
    }

    @Test
    void shouldWriteJsonWithMdcAndExceptionByDefault() {
        LoggerContext context = freshContext();
        try {
            CapturedLogs logs = CapturedLogs.install(context, config());
            assertThat(logs.appenderName()).isEqualTo("json");
            Logger log = context.getLogger("io.splitguard.example");
            MDC.put("correlation_id", "corr-1");
            try {
                log.info("first {} \"quoted\"\nsecond line", 42);
                log.warn("failed", new IllegalStateException("boom"));
            } finally {
                MDC.remove("correlation_id");
            }
            assertThat(LogLeakCheck.problems(logs.text(), List.of("never-logged")))
                    .isEmpty();
            List<JsonNode> lines = LogLeakCheck.lines(logs.text());
            assertThat(lines).hasSize(2);
            JsonNode info = lines.get(0);
            assertThat(info.path("level").asText()).isEqualTo("INFO");
            assertThat(info.path("loggerName").asText()).isEqualTo("io.splitguard.example");
            assertThat(info.path("threadName").asText()).isNotBlank();
            assertThat(info.path("timestamp").asLong()).isPositive();
            assertThat(info.path("formattedMessage").asText()).isEqualTo("first 42 \"quoted\"\nsecond line");
            assertThat(info.path("mdc").path("correlation_id").asText()).isEqualTo("corr-1");
            // the unformatted template and its arguments are not written separately
            assertThat(info.has("arguments")).isFalse();
            JsonNode warn = lines.get(1);
            assertThat(warn.path("throwable").path("className").asText()).isEqualTo("java.lang.IllegalStateException");
            assertThat(warn.path("throwable").path("message").asText()).isEqualTo("boom");
        } finally {
            context.stop();
        }
    }

    @Test
    void shouldWriteTextWhenAskedFor() {
        LoggerContext context = freshContext();
        try {
            CapturedLogs logs = CapturedLogs.install(context, config(), Map.of("SPLITGUARD_LOG_FORMAT", "text"));
            assertThat(logs.appenderName()).isEqualTo("text");
            context.getLogger("io.splitguard.example").info("hello");
            assertThat(logs.text()).doesNotStartWith("{").contains("INFO").contains("hello");
        } finally {
            context.stop();
        }
    }

    @Test
    void shouldBeTheConfigurationEveryServiceUses() throws IOException {
        String gateway = Files.readString(Path.of("src/main/resources/logback.xml"));
        for (String module : List.of("launcher", "dedup-topology", "postgres-sink")) {
            Path other = Path.of("..", module, "src/main/resources/logback.xml");
            assertThat(Files.readString(other)).as(other.toString()).isEqualTo(gateway);
        }
    }
}
