package io.splitguard.sink.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class SessionFenceTest {

    @Test
    void shouldAcceptIncreasingSequencesAndRememberTheNewMark() {
        SessionFence fence = new SessionFence(Map.of("s1", new SessionFence.Mark(0, 3, null)));

        assertThat(fence.offer("s1", 0, 4, null).accepted()).isTrue();
        assertThat(fence.offer("s1", 0, 7, null).accepted()).isTrue();
        assertThat(fence.offer("s2", 0, 1, null).accepted()).isTrue();

        assertThat(fence.advanced())
                .containsEntry("s1", new SessionFence.Mark(0, 7, null))
                .containsEntry("s2", new SessionFence.Mark(0, 1, null));
    }

    @Test
    void shouldRefuseASequenceWhenItIsNotGreaterThanTheStoredOne() {
        SessionFence fence = new SessionFence(Map.of("s1", new SessionFence.Mark(0, 5, null)));

        SessionFence.Decision equal = fence.offer("s1", 0, 5, null);
        SessionFence.Decision older = fence.offer("s1", 0, 2, null);

        assertThat(equal.accepted()).isFalse();
        assertThat(equal.reason()).isEqualTo(SessionFence.Reason.SEQUENCE_NOT_GREATER);
        assertThat(equal.stored().sequence()).isEqualTo(5);
        assertThat(older.reason().code()).isEqualTo("sequence_not_greater");
        assertThat(fence.advanced()).isEmpty();
    }

    @Test
    void shouldJudgeLaterRecordsOfTheSameBatchAgainstTheMarksOfEarlierOnes() {
        SessionFence fence = new SessionFence(Map.of());

        assertThat(fence.offer("s1", 0, 2, null).accepted()).isTrue();
        SessionFence.Decision replay = fence.offer("s1", 0, 1, null);

        assertThat(replay.accepted()).isFalse();
        assertThat(replay.stored().sequence()).isEqualTo(2);
    }

    @Test
    void shouldRefuseAnOlderFencingTokenEvenWhenItsSequenceIsGreater() {
        SessionFence fence = new SessionFence(Map.of("s1", new SessionFence.Mark(0, 5, 9L)));

        SessionFence.Decision zombie = fence.offer("s1", 0, 6, 8L);
        SessionFence.Decision noToken = fence.offer("s1", 0, 6, null);
        SessionFence.Decision newer = fence.offer("s1", 0, 7, 10L);

        assertThat(zombie.accepted()).isFalse();
        assertThat(zombie.reason()).isEqualTo(SessionFence.Reason.STALE_FENCING_TOKEN);
        assertThat(noToken.accepted()).isTrue();
        assertThat(newer.accepted()).isTrue();
        assertThat(fence.advanced()).containsEntry("s1", new SessionFence.Mark(0, 7, 10L));
    }

    @Test
    void shouldKeepTheStoredTokenWhenARecordCarriesNone() {
        SessionFence fence = new SessionFence(Map.of("s1", new SessionFence.Mark(0, 1, 4L)));

        fence.offer("s1", 0, 2, null);

        assertThat(fence.advanced()).containsEntry("s1", new SessionFence.Mark(0, 2, 4L));
    }

    @Test
    void shouldOrderByEpochFirstSoASessionRestartedAfterAPurgeStartsAgainAtOne() {
        SessionFence fence = new SessionFence(Map.of("s1", new SessionFence.Mark(1_000, 57, null)));

        SessionFence.Decision restarted = fence.offer("s1", 2_000, 1, null);
        SessionFence.Decision olderEpoch = fence.offer("s1", 1_000, 58, null);
        SessionFence.Decision next = fence.offer("s1", 2_000, 2, null);

        assertThat(restarted.accepted()).isTrue();
        assertThat(olderEpoch.accepted()).isFalse();
        assertThat(olderEpoch.reason()).isEqualTo(SessionFence.Reason.SEQUENCE_NOT_GREATER);
        assertThat(olderEpoch.stored()).isEqualTo(new SessionFence.Mark(2_000, 1, null));
        assertThat(next.accepted()).isTrue();
        assertThat(fence.advanced()).containsEntry("s1", new SessionFence.Mark(2_000, 2, null));
    }
}
