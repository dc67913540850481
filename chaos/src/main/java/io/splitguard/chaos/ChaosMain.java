package io.splitguard.chaos;

import java.nio.file.Path;
import java.util.List;

/**
 * {@code chaos [--profile short|long] [--seed N] [--runs N] [--out DIR]}: runs the harness and writes
 * one report per run; exits 1 when any run violated an invariant. Needs root (network namespaces),
 * iproute2 and the PostgreSQL server binaries.
 */
public final class ChaosMain {

    private ChaosMain() {}

    /** Rewritten after every run, so a long series stopped early still leaves its summary. */
    private static String writeSummary(Path out, List<ChaosRun.Result> results, List<String> errors)
            throws java.io.IOException {
        System.out.println(writeSummary(out, results, errors));
        boolean valid =
                errors.isEmpty() && results.stream().allMatch(r -> r.check().valid());
        System.out.println(valid ? "ALL RUNS VALID" : "INVARIANT VIOLATED: see the reports under " + out);
        System.exit(valid ? 0 : 1);
    }
}
