package io.splitguard.chaos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** The commit a run was built from, as {@code git describe --always --dirty} names it. */
final class Commit {

    static final String UNKNOWN = "unknown";

    private Commit() {}

    /** The description of the working tree at {@code dir}; {@value #UNKNOWN} outside a git tree or without git. */
    static String describe(Path dir) {
        try {
            Process git = new ProcessBuilder("git", "describe", "--always", "--dirty")
                    .directory(dir.toFile())
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            git.getOutputStream().close();
            String out = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!git.waitFor(10, TimeUnit.SECONDS)) {
                git.destroyForcibly();
                return UNKNOWN;
            }
            return git.exitValue() == 0 && !out.isEmpty() ? out : UNKNOWN;
        } catch (IOException e) {
            return UNKNOWN;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return UNKNOWN;
        }
    }
}
