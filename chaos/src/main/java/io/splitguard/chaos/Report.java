package io.splitguard.chaos;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.splitguard.chaos.check.Checker;
import io.splitguard.chaos.check.CheckpointChecker;
import io.splitguard.chaos.check.LeaseChecker;
import io.splitguard.chaos.check.Recovery;
import io.splitguard.chaos.check.RegionChecker;
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
        root.put("commit", result.commit());
        root.put("valid", result.check().valid());
        root.put("verdict", result.check().verdict());
        root.put("duration_s", result.durationMs() / 1000);
        ArrayNode harnessErrors = root.putArray("harness_errors");
        result.check().harnessErrors().forEach(harnessErrors::add);
        ObjectNode counts = root.putObject("counts");
        result.check().counts().forEach(counts::put);
        ObjectNode operations = root.putObject("operations");
        result.check().operations().forEach((kind, byResult) -> {
            ObjectNode o = operations.putObject(kind);
            byResult.forEach(o::put);
        });
        ObjectNode examples = root.putObject("violations");
        result.check().examples().forEach((k, v) -> {
            ArrayNode list = examples.putArray(k);
            v.forEach(list::add);
        });
        ObjectNode observations = root.putObject("observations");
        result.check().observations().forEach((k, v) -> {
            ArrayNode list = observations.putArray(k);
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
            if (s.injected().fault().clockOffset().getSeconds() != 0) {
                f.put("clock_offset_s", s.injected().fault().clockOffset().getSeconds());
            }
            if (!s.injected().note().isEmpty()) {
                f.put("note", s.injected().note());
            }
        }
        ArrayNode notes = root.putArray("notes");
        result.notes().forEach(notes::add);
        root.put("checkpoints_checked", checkpointsChecked(result));
        if (checkpointsChecked(result)) {
            ObjectNode checkpoints = root.putObject("checkpoints");
            result.check().counts().forEach((name, value) -> {
                if (name.startsWith(CHECKPOINT_PREFIX)) {
                    checkpoints.put(name, value);
                }
            });
        }
        root.put("leases_checked", leasesChecked(result));
        if (leasesChecked(result)) {
            ObjectNode leases = root.putObject("leases");
            result.check().counts().forEach((name, value) -> {
                if (name.startsWith(LEASE_PREFIX)) {
                    leases.put(name, value);
                }
            });
        }
        root.put("regions_checked", regionsChecked(result));
        if (regionsChecked(result)) {
            ObjectNode regions = root.putObject("regions");
            result.check().counts().forEach((name, value) -> {
                if (name.startsWith(REGION_PREFIX)) {
                    regions.put(name, value);
                }
            });
        }
        return root;
    }

    private static final String LEASE_PREFIX = "lease_";
    private static final String REGION_PREFIX = "region_";

    /** Whether the run's check covered the region quorum (its counts carry the region rules). */
    static boolean regionsChecked(ChaosRun.Result result) {
        return result.check().counts().keySet().containsAll(RegionChecker.RULES);
    }

    /** Whether the run's check covered leases (its counts carry the lease rules). */
    static boolean leasesChecked(ChaosRun.Result result) {
        return result.check().counts().keySet().containsAll(LeaseChecker.RULES);
    }

    /** The lease figures the Markdown report shows above the rules, with what each means. */
    private static final List<List<String>> LEASE_FIGURES = List.of(
            List.of("lease_acquires", "acquire requests"),
            List.of("lease_grants_distinct", "grants answered 200 (distinct lock tokens)"),
            List.of("lease_grants_overrode", "grant answers naming `overrode`"),
            List.of("lease_audit_lease_granted", "`lease_granted` audit records"),
            List.of("lease_audit_lease_overridden", "`lease_overridden` audit records (overrides)"),
            List.of("lease_audit_lease_released", "`lease_released` audit records"),
            List.of("lease_audit_lease_expired", "`lease_expired` audit records"),
            List.of("lease_audit_fenced", "`fenced` audit records (writes refused by the topology)"),
            List.of("lease_audit_applied", "`applied` audit records of lease sessions"),
            List.of("lease_writes_fenced_answer", "writes answered 409 fenced"),
            List.of("lease_zombie_writes", "writes by a paused holder with its old token"),
            List.of("lease_zombie_writes_fenced_answer", "of which answered 409 fenced"),
            List.of("lease_zombie_heartbeats_refused", "paused holders' heartbeats answered 409"),
            List.of("lease_grants_compared_audit", "grants compared with the open lease (audit order)"),
            List.of("lease_token_pairs_compared", "successive grants' tokens compared"),
            List.of("lease_client_grant_pairs_compared", "pairs of client grants compared for overlap"),
            List.of("lease_grants_found_in_audit", "client grants found in the audit"),
            List.of("lease_applied_writes_compared", "applied writes with a token compared with the latest grant"),
            List.of("lease_rows_compared", "rows of lease sessions compared"),
            List.of(
                    "lease_superseded_applied_without_entry",
                    "applied with a superseded token after the newer lease was released (a figure)"));

    private static final String CHECKPOINT_PREFIX = "checkpoint_";

    /** Whether the run's check covered checkpoints (its counts carry the checkpoint rules). */
    static boolean checkpointsChecked(ChaosRun.Result result) {
        return result.check().counts().keySet().containsAll(CheckpointChecker.RULES);
    }

    static String markdown(ChaosRun.Result result) {
        StringBuilder md = new StringBuilder();
        md.append("# Chaos run: profile ")
                .append(result.profile().name())
                .append(", seed ")
                .append(result.seed())
                .append("\n\n");
        md.append("**Verdict: ")
                .append(result.check().verdict())
                .append("** (")
                .append(result.durationMs() / 1000)
                .append(" s), commit `")
                .append(result.commit())
                .append("`, seed ")
                .append(result.seed())
                .append("\n\n");
        if (!result.check().harnessErrors().isEmpty()) {
            md.append("## Harness errors (the run proves nothing)\n\n");
            result.check()
                    .harnessErrors()
                    .forEach(e -> md.append("- ").append(e).append('\n'));
            md.append('\n');
        }
        md.append("| operations | ").append(String.join(" | ", Checker.RESULTS)).append(" |\n|---|");
        Checker.RESULTS.forEach(r -> md.append("---|"));
        md.append('\n');
        result.check().operations().forEach((kind, byResult) -> {
            md.append("| ").append(kind);
            Checker.RESULTS.forEach(r -> md.append(" | ").append(byResult.getOrDefault(r, 0L)));
            md.append(" |\n");
        });
        md.append("\n| figure | value |\n|---|---|\n");
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
                    .append(
                            s.injected().fault().clockOffset().isZero()
                                    ? ""
                                    : " "
                                            + io.splitguard.chaos.faults.Fault.offset(
                                                    s.injected().fault().clockOffset()))
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
        if (result.stalls().stream().anyMatch(s -> !s.injected().note().isEmpty())) {
            md.append("\n## What the harness saw during faults\n\n");
            for (Recovery.Stall s : result.stalls()) {
                if (!s.injected().note().isEmpty()) {
                    md.append("- +")
                            .append(s.injected().fault().at().toSeconds())
                            .append("s ")
                            .append(s.injected().fault().kind())
                            .append('[')
                            .append(s.injected().fault().target())
                            .append("]: ")
                            .append(s.injected().note())
                            .append('\n');
                }
            }
        }
        if (!result.notes().isEmpty()) {
            md.append("\n## Run settings and state\n\n");
            result.notes().forEach(n -> md.append("- ").append(n).append('\n'));
        }
        if (!result.check().examples().isEmpty()) {
            md.append("\n## Violations\n\n");
            result.check().examples().forEach((k, v) -> md.append("- ")
                    .append(k)
                    .append(": ")
                    .append(List.copyOf(v))
                    .append('\n'));
        }
        if (!result.check().observations().isEmpty()) {
            md.append("\n## Observations (no invariant violated)\n\n");
            result.check().observations().forEach((k, v) -> md.append("- ")
                    .append(k)
                    .append(": ")
                    .append(List.copyOf(v))
                    .append('\n'));
        }
        if (checkpointsChecked(result)) {
            md.append("\n## Checkpoints\n\nChecked: never regress, every served checkpoint was sent (acknowledged or"
                    + " indeterminate) with that content, read-your-writes through the other gateway with the write's"
                    + " position, and the final state of each gateway and of `session_checkpoints`.\n\n");
            md.append("| rule | violations |\n|---|---|\n");
            CheckpointChecker.RULES.forEach(rule -> md.append("| ")
                    .append(rule)
                    .append(" | ")
                    .append(result.check().counts().getOrDefault(rule, 0L))
                    .append(" |\n"));
        } else {
            md.append("\nCheckpoint invariants were not checked in this run.\n");
        }
        if (leasesChecked(result)) {
            md.append("\n## Leases\n\nChecked: one holder at a time (audit order and the clients' answers), strictly"
                    + " increasing fencing tokens, every grant audited, no write applied or stored with a superseded"
                    + " token, the sink's token fence over the rows, fenced writes never stored.\n\n");
            md.append("| figure | value |\n|---|---|\n");
            LEASE_FIGURES.forEach(f -> md.append("| ")
                    .append(f.get(1))
                    .append(" (`")
                    .append(f.get(0))
                    .append("`) | ")
                    .append(result.check().counts().getOrDefault(f.get(0), 0L))
                    .append(" |\n"));
            md.append("\n| rule | violations |\n|---|---|\n");
            LeaseChecker.RULES.forEach(rule -> md.append("| ")
                    .append(rule)
                    .append(" | ")
                    .append(result.check().counts().getOrDefault(rule, 0L))
                    .append(" |\n"));
        } else {
            md.append("\nLease invariants were not checked in this run.\n");
        }
        if (regionsChecked(result)) {
            md.append("\n## Regions\n\nChecked over the failover-decisions and region-health topics: epochs"
                    + " consecutive from 1, one primary per epoch, each failover backed by fresh votes of a strict"
                    + " majority against the previous primary and a healthy vote of the new one.\n\n");
            md.append("| figure | value |\n|---|---|\n");
            result.check().counts().forEach((name, value) -> {
                if (name.startsWith(REGION_PREFIX) && !RegionChecker.RULES.contains(name)) {
                    md.append("| `").append(name).append("` | ").append(value).append(" |\n");
                }
            });
            md.append("\n| rule | violations |\n|---|---|\n");
            RegionChecker.RULES.forEach(rule -> md.append("| ")
                    .append(rule)
                    .append(" | ")
                    .append(result.check().counts().getOrDefault(rule, 0L))
                    .append(" |\n"));
        } else {
            md.append("\nRegion invariants were not checked in this run.\n");
        }
        return md.toString();
    }

    /** Verdicts of all runs and, per fault kind, the stalls seen across them. */
    static String summary(List<ChaosRun.Result> results) {
        StringBuilder md = new StringBuilder(
                "# Chaos summary\n\n| run | seed | commit | verdict | acknowledged keys | ops | indeterminate ops | lost | duplicates | phantoms | wrong or refused bodies | sequence gaps | acknowledged body ≠ stored body | checkpoint reads answered | checkpoint violations | lease grants | lease violations | faults |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        int n = 1;
        java.util.Map<String, List<Recovery.Stall>> byKind = new java.util.TreeMap<>();
        for (ChaosRun.Result r : results) {
            Map<String, Long> c = r.check().counts();
            md.append("| ")
                    .append(n++)
                    .append(" | ")
                    .append(r.seed())
                    .append(" | ")
                    .append(r.commit())
                    .append(" | ")
                    .append(r.check().verdict())
                    .append(" | ")
                    .append(sum(c, "keys_acknowledged"))
                    .append(" | ")
                    .append(sum(c, "operations"))
                    .append(" | ")
                    .append(sum(c, "ops_info"))
                    .append(" | ")
                    .append(sum(c, "lost"))
                    .append(" | ")
                    .append(sum(c, "key_in_several_rows", "applied_twice_on_topic"))
                    .append(" | ")
                    .append(sum(c, "phantom_rows", "phantom_on_topic"))
                    .append(" | ")
                    .append(sum(
                            c,
                            "row_in_wrong_session",
                            "topic_in_wrong_session",
                            "row_with_unsent_body",
                            "row_with_refused_body",
                            "topic_with_unsent_body",
                            "topic_with_refused_body",
                            "row_differs_from_topic",
                            "acknowledged_other_body",
                            "hostile_acknowledged",
                            "hostile_stored"))
                    .append(" | ")
                    .append(sum(c, "sequence_gap_database", "sequence_gap_topic"))
                    .append(" | ")
                    .append(sum(c, "acknowledged_body_not_stored"))
                    .append(" | ")
                    .append(c.containsKey("checkpoint_reads_answered") ? sum(c, "checkpoint_reads_answered") : 0)
                    .append(" | ")
                    .append(sum(c, CheckpointChecker.RULES.toArray(String[]::new)))
                    .append(" | ")
                    .append(sum(c, "lease_grants_distinct"))
                    .append(" | ")
                    .append(sum(c, LeaseChecker.RULES.toArray(String[]::new)))
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

    private static long sum(Map<String, Long> counts, String... names) {
        long total = 0;
        for (String name : names) {
            total += counts.getOrDefault(name, 0L);
        }
        return total;
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
