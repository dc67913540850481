package io.splitguard.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TopologyLogTest {

    private static final String BEFORE =
            "10:00:00.000 INFO  [main] i.s.t.app.DedupStreams - dedup topology REBALANCING -> RUNNING\n";
    private static final String DURING =
            """
            10:00:01.000 ERROR [t-1] o.a.k.s.p.i.TaskManager - stream-thread [t-1] Failed to process task 0_1
            org.apache.kafka.streams.errors.ProcessorStateException: Error while executing flush from store dedup
            Caused by: org.rocksdb.RocksDBException: IO error: No space left on device: While appending to file
            10:00:01.100 ERROR [t-1] i.s.t.app.DedupStreams - stream thread failed; replacing it
            10:00:01.200 INFO  [t-1] i.s.t.app.DedupStreams - dedup topology RUNNING -> REBALANCING
            10:00:03.000 INFO  [t-2] i.s.t.app.DedupStreams - dedup topology REBALANCING -> RUNNING
            """;

    @TempDir
    Path dir;

    @Test
    void shouldCountDiskFullErrorsThreadReplacementsAndStateChangesBetweenTwoOffsets() throws Exception {
        Path log = Files.writeString(dir.resolve("dedup-0.log"), BEFORE + DURING, StandardCharsets.UTF_8);
        long from = BEFORE.getBytes(StandardCharsets.UTF_8).length;

        TopologyLog during = TopologyLog.read(log, from, Files.size(log));
        TopologyLog before = TopologyLog.read(log, 0, from);

        assertThat(during.noSpaceLines()).isEqualTo(1);
        assertThat(during.failures()).isEqualTo(1);
        assertThat(during.deadLettered()).isZero();
        assertThat(during.transitions()).containsExactly("REBALANCING", "RUNNING");
        assertThat(during.lastState()).isEqualTo("RUNNING");
        assertThat(during.errors())
                .containsExactly("stream-thread [t-1] Failed to process task 0_1", TopologyLog.THREAD_REPLACED);
        assertThat(during.describe())
                .contains("1 'No space left on device' lines", "1 stream threads replaced", "REBALANCING->RUNNING");
        assertThat(before.failures()).isZero();
        assertThat(before.noSpaceLines()).isZero();
        assertThat(before.describe()).contains("no ERROR line");
    }

    @Test
    void shouldReadAMissingLogAsEmpty() {
        TopologyLog none = TopologyLog.read(dir.resolve("missing.log"), 0, 100);

        assertThat(none.failures()).isZero();
        assertThat(none.lastState()).isEmpty();
    }
}
