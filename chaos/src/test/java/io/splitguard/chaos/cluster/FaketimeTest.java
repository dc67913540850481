package io.splitguard.chaos.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FaketimeTest {

    @TempDir
    Path dir;

    @Test
    void shouldMoveOnlyTheWallClockBySecondsEitherWay() {
        Path lib = Path.of("/lib/libfaketime.so.1");

        assertThat(Faketime.env(lib, Duration.ofHours(25)))
                .containsEntry("LD_PRELOAD", "/lib/libfaketime.so.1")
                .containsEntry("FAKETIME", "+90000")
                .containsEntry("FAKETIME_DONT_FAKE_MONOTONIC", "1");
        assertThat(Faketime.env(lib, Duration.ofHours(-37))).containsEntry("FAKETIME", "-133200");
        assertThat(Faketime.env(lib, Duration.ofMinutes(-10))).containsEntry("FAKETIME", "-600");
    }

    @Test
    void shouldFindTheFirstLibraryThatExistsAndSayHowToInstallAMissingOne() throws Exception {
        Path missing = dir.resolve("nowhere/libfaketime.so.1");
        Path present = Files.writeString(dir.resolve("libfaketime.so.1"), "elf");

        assertThat(Faketime.find(List.of(missing, present))).contains(present);
        assertThat(Faketime.find(List.of(missing))).isEmpty();
        assertThatThrownBy(() -> Faketime.require(List.of(missing)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("GATEWAY_CLOCK_SKEW needs libfaketime")
                .hasMessageContaining("apt-get install -y faketime");
    }
}
