package io.splitguard.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class CommitTest {

    @Test
    void shouldSayUnknownOutsideAGitTree() throws IOException {
        // the build's temporary directory lies inside the project, so use the system's
        Path systemTmp = Path.of("/tmp");
        assumeTrue(Files.isDirectory(systemTmp), "no /tmp");
        Path dir = Files.createTempDirectory(systemTmp, "commit-test");
        try {
            for (Path p = dir; p != null; p = p.getParent()) {
                assumeTrue(!Files.exists(p.resolve(".git")), p + " is a git tree");
            }

            assertThat(Commit.describe(dir)).isEqualTo(Commit.UNKNOWN);
        } finally {
            Files.delete(dir);
        }
    }

    @Test
    void shouldNameTheCommitInsideTheProjectsTree() {
        Path here = Path.of("").toAbsolutePath();
        String description = Commit.describe(here);
        assumeTrue(!description.equals(Commit.UNKNOWN), "git is not installed or this is not a checkout");

        assertThat(description).matches("[0-9a-zA-Z._/-]+(-dirty)?");
    }
}
