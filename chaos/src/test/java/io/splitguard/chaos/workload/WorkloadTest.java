package io.splitguard.chaos.workload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.json.PayloadHash;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkloadTest {

    @TempDir
    Path dir;

    private HttpServer server;
    /** What the workload counted for the test gateway, after its last run. */
    private Map<Integer, Long> answers;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    @Test
    void shouldHashABodyTheWayTheGatewayDoesWhateverItsKeyOrderAndSpacing() throws IOException {
        String body = Workload.body("sess-1", 7, "note 7");
        JsonNode reordered = Json.mapper().readTree(body);

        assertThat(Workload.hash(body))
                .isEqualTo(PayloadHash.of(reordered))
                .isEqualTo(Workload.hash(body.replace(",", " ,\n")))
                .isNotEqualTo(Workload.hash(Workload.body("sess-1", 7, "changed 7")));
    }

    @Test
    void shouldSendHostileBodiesThatAreWellFormedJsonOfTheContractsShape() throws IOException {
        for (int variant = 0; variant < Workload.HOSTILE_VARIANTS; variant++) {
            String body = Workload.hostileBody("sess-1", 7, variant);

            JsonNode node = Json.mapper().readTree(body);

            assertThat(node.path("session_id").asText()).isEqualTo("sess-1");
            assertThat(node.path("payload").isObject()).isTrue();
            assertThat(Workload.hash(body)).isNotBlank();
        }
        assertThat(Json.mapper()
                        .readTree(Workload.hostileBody("s", 1, 0))
                        .at("/payload/notes")
                        .asText())
                .contains("\u0000");
        assertThat(Json.mapper()
                        .readTree(Workload.hostileBody("s", 1, 1))
                        .at("/payload/notes")
                        .asText())
                .contains("\ud800");
        assertThat(Workload.hostileBody("s", 1, 2)).contains("1e200000");
    }

    @Test
    void shouldClassifyAnswersAndReadThePayloadHashOfAnAcknowledgement() {
        assertThat(Workload.resultOf(200)).isEqualTo(Op.OK);
        assertThat(Workload.resultOf(202)).isEqualTo(Op.OK);
        assertThat(Workload.resultOf(409)).isEqualTo(Op.FAIL);
        assertThat(Workload.resultOf(422)).isEqualTo(Op.FAIL);
        assertThat(Workload.resultOf(503)).isEqualTo(Op.INFO);
        assertThat(Workload.resultOf(500)).isEqualTo(Op.INFO);
        assertThat(Workload.answeredHash("{\"payload_hash\":\"sha256:ab\",\"status\":\"accepted\"}"))
                .isEqualTo("sha256:ab");
        assertThat(Workload.answeredHash("{\"status\":\"accepted\"}")).isNull();
        assertThat(Workload.answeredHash("not json")).isNull();
        assertThat(Workload.answeredHash("")).isNull();
    }

    @Test
    void shouldGiveUpAKeyAfterItsFirstIndeterminateAnswerOnlyForSingleTryClients() throws Exception {
        // Given a gateway that never answers anything but 503
        serve(body -> new Answer(503, "{\"title\":\"Service unavailable\"}"));

        // When the workload runs against it for a while
        List<Op> ops = run();

        // Then single-try clients sent each key once, persistent clients retried
        Map<String, Long> onceAttempts = ops.stream()
                .filter(o -> o.kind().equals(Op.ONCE))
                .collect(Collectors.groupingBy(Op::key, Collectors.counting()));
        Map<String, Long> writeAttempts = ops.stream()
                .filter(o -> o.kind().equals(Op.WRITE))
                .collect(Collectors.groupingBy(o -> o.key() + "/" + o.client(), Collectors.counting()));
        assertThat(onceAttempts)
                .isNotEmpty()
                .allSatisfy((key, n) -> assertThat(n).as(key).isEqualTo(1L));
        assertThat(writeAttempts.values()).allSatisfy(n -> assertThat(n).isGreaterThan(1L));
        assertThat(ops).allSatisfy(o -> {
            assertThat(o.result()).isEqualTo(Op.INFO);
            assertThat(o.answeredPayloadHash()).isNull();
        });
        // and the gateway's answers are counted by status: every attempt, all of them 503
        assertThat(answers).containsOnlyKeys(503).containsEntry(503, (long) ops.size());
    }

    @Test
    void shouldRecordTheHashItSentAndTheHashTheAcknowledgementNamed() throws Exception {
        // Given a gateway that acknowledges every body, naming the hash of the body it received
        serve(body -> new Answer(200, "{\"payload_hash\":\"" + Workload.hash(body) + "\"}"));

        List<Op> ops = run();

        assertThat(ops).isNotEmpty().allSatisfy(o -> {
            assertThat(o.result()).isEqualTo(Op.OK);
            assertThat(o.answeredPayloadHash()).isEqualTo(o.payloadHash()).startsWith(PayloadHash.PREFIX);
        });
    }

    private record Answer(int status, String body) {}

    private void serve(Function<String, Answer> answer) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Answer a = answer.apply(body);
            byte[] bytes = a.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(a.status(), bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
    }

    private List<Op> run() throws Exception {
        String url = "http://127.0.0.1:" + server.getAddress().getPort();
        try (History history = new History(dir.resolve("history.jsonl"));
                Workload workload =
                        new Workload(List.of(url, url), "token", 5, 50, 11, history, Duration.ofSeconds(3))) {
            workload.start();
            await().atMost(Duration.ofSeconds(30))
                    .until(() ->
                            history.ops().stream().anyMatch(o -> o.kind().equals(Op.ONCE)) && workload.events() >= 60);
            workload.stopGenerating();
            await().atMost(Duration.ofSeconds(60)).until(() -> workload.pending() == 0);
            answers = workload.answers(url);
            assertThat(workload.answers("http://127.0.0.1:1")).isEmpty();
            return history.ops();
        }
    }
}
