package io.splitguard.chaos;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code chaos [--profile short|long] [--seed N] [--runs N] [--out DIR]}: runs the harness and writes
 * one report per run; exits 1 when any run violated an invariant. Needs root (network namespaces),
 * iproute2 and the PostgreSQL server binaries.
 */
public final class ChaosMain {

    private ChaosMain() {}

    public static void main(String[] args) throws Exception {
        String profileName = "short";
        long seed = 42;
        int runs = 1;
        Path out = Path.of("chaos-results", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--profile" -> profileName = args[++i];
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Profile profile = Profile.named(profileName);
        List<ChaosRun.Result> results = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        for (int r = 0; r < runs; r++) {
            try {
                ChaosRun.Result result = new ChaosRun(profile, seed + r, out.resolve("run-" + (r + 1))).run();
                Report.write(result);
                results.add(result);
                System.out.println(Report.markdown(result));
            } catch (Exception e) {
                // the harness itself failed (not an invariant): keep going, report it, fail the command
                errors.add("run " + (r + 1) + " (seed " + (seed + r) + "): " + e);
                e.printStackTrace();
            }
        }
        java.nio.file.Files.createDirectories(out);
        String summary = Report.summary(results)
                + (errors.isEmpty() ? "" : "\nHarness errors:\n- " + String.join("\n- ", errors) + "\n");
        java.nio.file.Files.writeString(out.resolve("summary.md"), summary);
        System.out.println(summary);
        boolean valid =
                errors.isEmpty() && results.stream().allMatch(r -> r.check().valid());
        System.out.println(valid ? "ALL RUNS VALID" : "INVARIANT VIOLATED: see the reports under " + out);
        System.exit(valid ? 0 : 1);
    }
}
