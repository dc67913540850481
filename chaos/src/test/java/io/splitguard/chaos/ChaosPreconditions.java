package io.splitguard.chaos;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The chaos tests put brokers into network namespaces, which needs root and iproute2 ({@code ip}).
 * Where either is missing they are skipped with a message saying which, so {@code ./mvnw -B verify}
 * passes for a normal user; as root with iproute2 (CI) they run.
 */
public final class ChaosPreconditions {

    private ChaosPreconditions() {}

    /** Skips the calling test (JUnit assumption) unless this process is root and {@code ip} is installed. */
    public static void assumeRootAndIproute2() {
        Optional<String> missing = missing(effectiveUid(), ipOnPath());
        assumeTrue(missing.isEmpty(), () -> "chaos test skipped: " + missing.orElse(""));
    }

    /** What is missing to run the chaos tests, in words; empty when nothing is. */
    static Optional<String> missing(OptionalLong euid, boolean ipFound) {
        List<String> reasons = new ArrayList<>();
        if (euid.isEmpty()) {
            reasons.add("cannot tell whether this process runs as root (no /proc/self/status)");
        } else if (euid.getAsLong() != 0) {
            reasons.add("network namespaces need root, this process runs as uid " + euid.getAsLong());
        }
        if (!ipFound) {
            reasons.add("the 'ip' command (iproute2) is not installed (Debian/Ubuntu: apt-get install iproute2)");
        }
        return reasons.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", reasons));
    }

    /** The effective uid from {@code /proc/self/status} (Linux), if readable. */
    static OptionalLong effectiveUid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    String[] ids = line.substring(4).trim().split("\\s+");
                    return ids.length > 1 ? OptionalLong.of(Long.parseLong(ids[1])) : OptionalLong.empty();
                }
            }
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
        return OptionalLong.empty();
    }

    private static boolean ipOnPath() {
        List<String> dirs =
                new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.addAll(List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin"));
        return dirs.stream()
                .filter(d -> !d.isEmpty())
                .map(d -> Path.of(d, "ip"))
                .anyMatch(Files::isExecutable);
    }
}
