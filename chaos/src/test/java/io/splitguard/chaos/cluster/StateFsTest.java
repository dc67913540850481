package io.splitguard.chaos.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StateFsTest {

    @Test
    void shouldFindOnlyItsOwnLeftoverMounts() {
        String procMounts =
                """
                /dev/vda / ext4 rw,relatime 0 0
                tmpfs /tmp/other tmpfs rw,size=65536k 0 0
                splitguard-chaos-state /tmp/run-1/streams-0 tmpfs rw,relatime,size=131072k,mode=755 0 0
                splitguard-chaos-state /tmp/with\\040space/streams-1 tmpfs rw,relatime,size=131072k 0 0
                """;

        assertThat(StateFs.leftovers(procMounts)).containsExactly("/tmp/run-1/streams-0", "/tmp/with space/streams-1");
        assertThat(StateFs.leftovers("")).isEmpty();
    }
}
