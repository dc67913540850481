package io.splitguard.chaos;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.splitguard.chaos.check.Recovery;
import io.splitguard.schemas.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;

/** Writes a run's result as JSON (for tools) and Markdown (for people). */
final class Report {

    private Report() {}

    static void write(ChaosRun.Result result) {
        try {
            Files.writeString(
                    result.dir().resolve("report.json"),
                    Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(json(result)));
            Files.writeString(result.dir().resolve("report.md"), markdown(result));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ObjectNode json(ChaosRun.Result result) {
        ObjectNode root = Json.mapper().createObjectNode();
        root.put("profile", result.profile().name());
        root.put("seed", result.seed());
        root.put("valid", result.check().valid());
        root.put("duration_s", result.durationMs() / 1000);
        ObjectNode counts = root.putObject("counts");
        result.check().counts().forEach(counts::put);
        ObjectNode examples = root.putObject("violations");
        result.check().examples().forEach((k, v) -> {
            ArrayNode list = examples.putArray(k);
            v.forEach(list::add);
        });
        ArrayNode faults = root.putArray("faults");
        for (Recovery.Stall s : result.stalls()) {
            ObjectNode f = faults.addObject();
            f.put("at_s", s.injected().fault().at().toSeconds());
            f.put("kind", s.injected().fault().kind().name());
            f.put("target", s.injected().fault().target());
            f.put("duration_s", s.injected().fault().duration().toSeconds());
            f.put("injected_at_ms", s.injected().injectedAtMs());
            f.put("healed_at_ms", s.injected().healedAtMs());
            f.put("stall_from_fault_ms", s.fromFaultMs());
            f.put("stall_from_heal_ms", s.fromHealMs());
        }
        root.put("checkpoints_checked", false);
        root.put("leases_checked", false);
        return root;
    }

    static String markdown(ChaosRun.Result result) {
        StringBuilder md = new StringBuilder();
        md.append("# Chaos run: profile ")
                .append(result.profile().name())
                .append(", seed ")
                .append(result.seed())
                .append("\n\n");
        md.append("**Verdict: ")
                .append(result.check().valid() ? "VALID" : "INVALID")
                .append("** (")
                .append(result.durationMs() / 1000)
                .append(" s)\n\n");
        md.append("| figure | value |\n|---|---|\n");
        for (Map.Entry<String, Long> e : result.check().counts().entrySet()) {
            md.append("| ")
                    .append(e.getKey())
                    .append(" | ")
                    .append(e.getValue())
                    .append(" |\n");
        }
        md.append(
                "\n| fault | target | lasted | worst partition stall from fault | from heal |\n|---|---|---|---|---|\n");
        for (Recovery.Stall s : result.stalls()) {
            md.append("| +")
                    .append(s.injected().fault().at().toSeconds())
                    .append("s ")
                    .append(s.injected().fault().kind())
                    .append(" | ")
                    .append(s.injected().fault().target())
                    .append(" | ")
                    .append(s.injected().fault().duration().toSeconds())
                    .append(" s | ")
                    .append(ms(s.fromFaultMs()))
                    .append(" | ")
                    .append(ms(s.fromHealMs()))
                    .append(" |\n");
        }
        if (!result.check().examples().isEmpty()) {
            md.append("\n## Violations\n\n");
            result.check().examples().forEach((k, v) -> md.append("- ")
                    .append(k)
                    .append(": ")
                    .append(List.copyOf(v))
                    .append('\n'));
        }
        md.append("\nCheckpoint and lease invariants are not checked yet: those features are not built.\n");
        return md.toString();
    }

    /** Verdicts of all runs and, per fault kind, the stalls seen across them. */
    static String summary(List<ChaosRun.Result> results) {
        StringBuilder md = new StringBuilder(
                "# Chaos summary\n\n| run | seed | verdict | acknowledged keys | ops | indeterminate ops | lost | duplicates | phantoms | sequence gaps | faults |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
        int n = 1;
        java.util.Map<String, List<Recovery.Stall>> byKind = new java.util.TreeMap<>();
        for (ChaosRun.Result r : results) {
            Map<String, Long> c = r.check().counts();
            md.append("| ")
                    .append(n++)
                    .append(" | ")
                    .append(r.seed())
                    .append(" | ")
                    .append(r.check().valid() ? "valid" : "INVALID")
                    .append(" | ")
                    .append(c.get("keys_acknowledged"))
                    .append(" | ")
                    .append(c.get("operations"))
                    .append(" | ")
                    .append(c.get("ops_info"))
                    .append(" | ")
                    .append(c.get("lost"))
                    .append(" | ")
                    .append(c.get("duplicate_rows") + c.get("applied_twice_on_topic"))
                    .append(" | ")
                    .append(c.get("phantom_rows") + c.get("phantom_on_topic"))
                    .append(" | ")
                    .append(c.get("sequence_gap_database") + c.get("sequence_gap_topic"))
                    .append(" | ")
                    .append(r.stalls().size())
                    .append(" |\n");
            for (Recovery.Stall s : r.stalls()) {
                byKind.computeIfAbsent(s.injected().fault().kind().name(), k -> new java.util.ArrayList<>())
                        .add(s);
            }
        }
        md.append(
                "\n| fault kind | count | stall from fault: median / max | from heal: median / max |\n|---|---|---|---|\n");
        byKind.forEach((kind, stalls) -> md.append("| ")
                .append(kind)
                .append(" | ")
                .append(stalls.size())
                .append(" | ")
                .append(stat(
                        stalls.stream().mapToLong(Recovery.Stall::fromFaultMs).toArray()))
                .append(" | ")
                .append(stat(
                        stalls.stream().mapToLong(Recovery.Stall::fromHealMs).toArray()))
                .append(" |\n"));
        return md.toString();
    }

    private static String stat(long[] values) {
        long[] known =
                java.util.Arrays.stream(values).filter(v -> v >= 0).sorted().toArray();
        if (known.length == 0) {
            return "n/a";
        }
        long median = (known[(known.length - 1) / 2] + known[known.length / 2]) / 2;
        return ms(median) + " / " + ms(known[known.length - 1]);
    }

    private static String ms(long ms) {
        return ms < 0 ? "n/a" : String.format(java.util.Locale.ROOT, "%.1f s", ms / 1000.0);
    }
}
