package io.splitguard.chaos;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code chaos [--profile short|long] [--seed N] [--runs N] [--out DIR] [--kinds KIND,...]}: runs the
 * harness and writes one report per run plus a summary ({@code --kinds} draws the faults from those
 * kinds only, at the profile's durations and pace, e.g. {@code --kinds GATEWAY_CLOCK_SKEW,KILL_BROKER});
 * exits 1 when any run violated an invariant or the harness itself
 * failed. Needs root (network namespaces) and iproute2.
 */
public final class ChaosMain {

    private ChaosMain() {}

    public static void main(String[] args) throws Exception {
        String profileName = "short";
        long seed = 42;
        String kinds = null;
        int runs = 1;
        Path out = Path.of("chaos-results", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--profile" -> profileName = args[++i];
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--kinds" -> kinds = args[++i];
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Profile profile = Profile.named(profileName);
        if (kinds != null) {
            profile = profile.withKinds(Profile.parseKinds(kinds));
        }
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
            writeSummary(out, results, errors);
        }
        System.out.println(writeSummary(out, results, errors));
        boolean valid =
                errors.isEmpty() && results.stream().allMatch(r -> r.check().valid());
        System.out.println(
                valid ? "ALL RUNS VALID" : "INVARIANT VIOLATED OR HARNESS ERROR: see the reports under " + out);
        System.exit(valid ? 0 : 1);
    }

    /** Rewritten after every run, so a long series stopped early still leaves its summary. */
    private static String writeSummary(Path out, List<ChaosRun.Result> results, List<String> errors)
            throws IOException {
        Files.createDirectories(out);
        String summary = Report.summary(results)
                + (errors.isEmpty() ? "" : "\nHarness errors:\n- " + String.join("\n- ", errors) + "\n");
        Files.writeString(out.resolve("summary.md"), summary);
        return summary;
    }
}
