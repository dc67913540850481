package io.splitguard.chaos.workload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.splitguard.chaos.check.CheckpointChecker;
import io.splitguard.chaos.check.CheckpointFinal;
import io.splitguard.schemas.json.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointWorkloadTest {

    @TempDir
    Path dir;

    private final List<HttpServer> servers = new ArrayList<>();

    @AfterEach
    void stop() {
        servers.forEach(s -> s.stop(0));
    }

    /** Two gateways over one store; {@code fenced}: a write replaces the stored one only with a higher sequence. */
    private static final class FakeRegions {
        final Map<String, JsonNode> latest = new HashMap<>();
        final AtomicLong offset = new AtomicLong();
        final boolean fenced;

        FakeRegions(boolean fenced) {
            this.fenced = fenced;
        }

        synchronized void handle(HttpExchange exchange) throws IOException {
            String path = exchange.getRequestURI().getPath();
            String session = path.split("/")[4];
            ObjectNode answer = Json.mapper().createObjectNode();
            if (exchange.getRequestMethod().equals("POST")) {
                JsonNode body = Json.mapper().readTree(exchange.getRequestBody());
                JsonNode stored = latest.get(session);
                if (!fenced
                        || stored == null
                        || body.path("sequence").asLong()
                                > stored.path("sequence").asLong()) {
                    latest.put(session, body);
                }
                answer.put("status", "accepted");
                answer.put("sequence", body.path("sequence").asLong());
                answer.put("position", "0:" + offset.incrementAndGet());
            } else {
                JsonNode stored = latest.get(session);
                answer.put("restore", stored != null);
                if (stored == null) {
                    answer.put("reason", "none");
                } else {
                    answer.put("sequence", stored.path("sequence").asLong());
                    answer.put("checkpoint_id", stored.path("checkpoint_id").asText());
                    answer.set("variables", stored.path("variables"));
                }
            }
            byte[] bytes = Json.mapper().writeValueAsBytes(answer);
            exchange.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }

        synchronized CheckpointFinal end() {
            Map<String, List<CheckpointFinal.Served>> gateways = new HashMap<>();
            Map<String, CheckpointFinal.Served> rows = new HashMap<>();
            latest.forEach((session, body) -> {
                CheckpointFinal.Served s = CheckpointFinal.Served.of(
                        body.path("sequence").asLong(),
                        body.path("checkpoint_id").asText(),
                        CheckpointOp.canonical(body.path("variables")));
                gateways.put(session, List.of(s, s));
                rows.put(session, s);
            });
            return new CheckpointFinal(gateways, rows, List.of());
        }
    }

    private List<String> serve(FakeRegions regions) throws IOException {
        List<String> urls = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/api/v2/sessions/", regions::handle);
            server.start();
            servers.add(server);
            urls.add("http://127.0.0.1:" + server.getAddress().getPort());
        }
        return urls;
    }

    @Test
    void shouldRecordWritesStaleWritesAndReadsBackThroughTheOtherGatewayWhenTwoRegionsSaveCheckpoints()
            throws IOException {
        FakeRegions regions = new FakeRegions(true);
        List<CheckpointOp> ops;
        try (History history = new History(dir.resolve("history.jsonl"));
                CheckpointWorkload workload = new CheckpointWorkload(serve(regions), "token", 5, 40, 40, 7, history)) {
            workload.start();
            // a second at this pace; generous for a loaded machine
            await().atMost(Duration.ofSeconds(90))
                    .until(() -> history.checkpointOps().stream()
                                    .filter(o -> CheckpointOp.STALE_WRITE.equals(o.type()))
                                    .count()
                            >= 3);
            workload.stopGenerating();
            await().atMost(Duration.ofSeconds(90)).until(() -> workload.pending() == 0);
            ops = history.checkpointOps();
        }

        Map<Long, CheckpointOp> byId = new HashMap<>();
        ops.forEach(o -> byId.put(o.id(), o));
        List<CheckpointOp> readBacks =
                ops.stream().filter(o -> CheckpointOp.RYW_READ.equals(o.type())).toList();
        assertThat(readBacks).isNotEmpty().allSatisfy(read -> {
            CheckpointOp write = byId.get(read.afterWrite());
            assertThat(write.ok()).isTrue();
            assertThat(read.position()).isEqualTo(write.position());
            assertThat(read.gateway()).isNotEqualTo(write.gateway());
            assertThat(read.invokedAtMs()).isGreaterThanOrEqualTo(write.completedAtMs());
            assertThat(read.sequence()).isGreaterThanOrEqualTo(write.sequence());
        });
        assertThat(ops).anyMatch(o -> CheckpointOp.READ.equals(o.type()) && o.restored());
        assertThat(ops).filteredOn(o -> CheckpointOp.WRITE.equals(o.type())).allSatisfy(o -> assertThat(o.variables())
                .contains("\"flow_step\":\"step_" + o.sequence() + "\""));
        assertThat(dir.resolve(History.CHECKPOINT_FILE)).isNotEmptyFile();
        CheckpointChecker.Result result = CheckpointChecker.check(ops, regions.end());
        assertThat(result.violations()).isEmpty();
        assertThat(result.harnessErrors()).isEmpty();
    }

    @Test
    void shouldLetTheCheckersFindRegressionsWhenTheLastWriteWinsWhateverItsSequence() throws IOException {
        FakeRegions regions = new FakeRegions(false);
        try (History history = new History(dir.resolve("history.jsonl"));
                CheckpointWorkload workload = new CheckpointWorkload(serve(regions), "token", 2, 40, 80, 11, history)) {
            workload.start();
            await().atMost(Duration.ofSeconds(90))
                    .until(() -> !CheckpointChecker.check(history.checkpointOps(), regions.end())
                            .violations()
                            .isEmpty());
        }
    }

    @Test
    void shouldVaryTheVariablesByRegionAndSequence() {
        String a = CheckpointOp.canonical(CheckpointWorkload.variables("flow-1", 4, "region-a"));
        String b = CheckpointOp.canonical(CheckpointWorkload.variables("flow-1", 4, "region-b"));

        assertThat(a).isNotEqualTo(b);
        assertThat(a)
                .isEqualTo(CheckpointOp.canonical(
                        CheckpointWorkload.variables("flow-1", 4, "region-a").toString()));
    }
}
