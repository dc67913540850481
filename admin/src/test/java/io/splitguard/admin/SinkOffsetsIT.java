package io.splitguard.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.splitguard.testsupport.SharedInfra;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code sink-offsets}: shown next to the topic's offsets; a reset only with the sink stopped and in range. */
@ExtendWith(SharedInfra.class)
class SinkOffsetsIT {

    @Test
    void shouldResetTheStoredOffsetOnlyWhenTheSinkIsStoppedAndTheOffsetIsInTheTopic() throws Exception {
        try (AdminTestKit kit = new AdminTestKit("sink-offsets")) {
            int partition = Offsets.partitionOf("s-alpha".getBytes(StandardCharsets.UTF_8), 3);
            List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
            for (long seq = 1; seq <= 4; seq++) {
                records.add(kit.record(AdminTestKit.mutation("s-alpha", seq, "a" + seq, null)));
            }
            kit.commit(records);
            kit.startSink();
            kit.awaitSink(4, 0, 0);
            String stored = "SELECT next_offset FROM sink_offsets WHERE partition = " + partition;

            AdminTestKit.Run show = kit.run("sink-offsets", "show");
            assertThat(show.exitCode()).as(show.err()).isZero();
            // four records and the transaction's commit marker
            assertThat(show.out()).containsPattern("(?m)^\\s+" + partition + "\\s+4\\s+0\\s+5\\s+1\\s*$");

            AdminTestKit.Run whileRunning =
                    kit.run("sink-offsets", "reset", "--partition", "" + partition, "--to", "earliest", "--execute");
            assertThat(whileRunning.exitCode()).isEqualTo(1);
            assertThat(whileRunning.err()).contains("active member");
            assertThat(kit.count(stored)).isEqualTo(4);

            kit.stopSinks();
            try (Admin admin = new AdminSettings(kit.env).admin()) {
                await().atMost(Duration.ofSeconds(60))
                        .until(() -> SinkOffsetsCommand.activeMembers(admin, kit.name + "-sink")
                                .isEmpty());
            }

            AdminTestKit.Run beyondEnd =
                    kit.run("sink-offsets", "reset", "--partition", "" + partition, "--to", "6", "--execute");
            AdminTestKit.Run noSuchPartition = kit.run("sink-offsets", "reset", "--partition", "7", "--to", "0");
            AdminTestKit.Run dryRun =
                    kit.run("sink-offsets", "reset", "--partition", "" + partition, "--to", "earliest");
            assertThat(beyondEnd.exitCode()).isEqualTo(1);
            assertThat(beyondEnd.err()).contains("outside partition " + partition + "'s [log start 0, log end 5]");
            assertThat(noSuchPartition.exitCode()).isEqualTo(1);
            assertThat(dryRun.exitCode()).isZero();
            assertThat(dryRun.out()).contains("dry run").contains("stored 4 -> 0");
            assertThat(kit.count(stored)).isEqualTo(4);

            AdminTestKit.Run executed =
                    kit.run("sink-offsets", "reset", "--partition", "" + partition, "--to", "earliest", "--execute");
            assertThat(executed.exitCode()).as(executed.err()).isZero();
            assertThat(kit.count(stored)).isZero();

            // the sink resumes from the reset offset: it reads the four records again and refuses every one
            kit.startSink();
            kit.awaitSink(4, 4, 0);
            assertThat(kit.count(stored)).isEqualTo(4);
        }
    }

    @Test
    void shouldRebuildSessionCheckpointsFromTheCompactedTopicWhenTheirOffsetsAreResetToEarliest() throws Exception {
        try (AdminTestKit kit = new AdminTestKit("sink-offsets-checkpoints")) {
            Instant now = Instant.now();
            kit.commit(List.of(
                    kit.record(AdminTestKit.checkpoint("s-c1", 1, "v1", "{\"queue\":\"billing\"}", now)),
                    kit.record(AdminTestKit.checkpoint("s-c2", 2, "v3", "{\"queue\":\"sales\"}", now))));
            kit.startSink();
            String rows = "SELECT session_id, checkpoint_id, sequence, schema_version, variables::text"
                    + " FROM session_checkpoints ORDER BY session_id";
            await().atMost(Duration.ofSeconds(60)).until(() -> kit.query(rows).size() == 2);
            List<List<Object>> before = kit.query(rows);
            kit.stopSinks();
            try (Admin admin = new AdminSettings(kit.env).admin()) {
                await().atMost(Duration.ofSeconds(60))
                        .until(() -> SinkOffsetsCommand.activeMembers(admin, kit.name + "-sink")
                                .isEmpty());
            }
            // the table is lost; the compacted topic still holds every session's latest checkpoint
            kit.execute("DELETE FROM session_checkpoints");

            AdminTestKit.Run show = kit.run("sink-offsets", "show", "--topic", "checkpoints");
            assertThat(show.exitCode()).as(show.err()).isZero();
            assertThat(show.out()).contains(kit.catalog.checkpoints.name());
            for (String session : List.of("s-c1", "s-c2")) {
                int partition = Offsets.partitionOf(session.getBytes(StandardCharsets.UTF_8), 3);
                AdminTestKit.Run reset = kit.run(
                        "sink-offsets",
                        "reset",
                        "--topic",
                        "checkpoints",
                        "--partition",
                        "" + partition,
                        "--to",
                        "earliest",
                        "--execute");
                assertThat(reset.exitCode()).as(reset.err()).isZero();
            }
            kit.startSink();

            await().atMost(Duration.ofSeconds(60)).until(() -> kit.query(rows).size() == 2);
            assertThat(kit.query(rows)).isEqualTo(before);
            assertThat(kit.count("SELECT count(*) FROM sink_refusals")).isZero();
        }
    }
}
