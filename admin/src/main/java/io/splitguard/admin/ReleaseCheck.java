package io.splitguard.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.splitguard.schemas.checkpoint.Migrations;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.model.StoredCheckpoint;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Whether the checkpoints stored at one schema version can be served to flows asking for another: the
 * migration table's path between them and, for each live checkpoint, whether it migrates. No I/O: the
 * command hands it the latest checkpoint of each session.
 */
final class ReleaseCheck {

    /** What a flow release would meet. */
    record Report(
            int fromSchema,
            int toSchema,
            Set<String> flowVersions,
            Optional<List<String>> operations,
            String noPathReason,
            int checkpoints,
            int expired,
            int migratable,
            int failing,
            List<FailureGroup> failures,
            int unreadable) {

        boolean pathExists() {
            return operations.isPresent();
        }

        /** Every stored checkpoint can be served, and so can any written at the old version until the release. */
        boolean servable() {
            return pathExists() && failing == 0;
        }
    }

    /** The checkpoints one cause stops: how many, and the first {@code limit} session ids in order. */
    record FailureGroup(Migrations.Failure cause, int count, List<String> sessionIds) {}

    private final Migrations table;
    private final int fromSchema;
    private final int toSchema;
    private final Set<String> flowVersions;

    /** {@code flowVersions} empty: checkpoints of every flow version count. */
    ReleaseCheck(Migrations table, int fromSchema, int toSchema, Collection<String> flowVersions) {
        this.table = table;
        this.fromSchema = fromSchema;
        this.toSchema = toSchema;
        this.flowVersions = new TreeSet<>(flowVersions);
    }

    /** True when a checkpoint belongs to the population this check is about (schema and flow version). */
    boolean concerns(StoredCheckpoint c) {
        return c.schemaVersion() == fromSchema && (flowVersions.isEmpty() || flowVersions.contains(c.flowVersion()));
    }

    /** The table alone, without any stored checkpoint. */
    Report pathOnly() {
        return report(List.of(), Instant.EPOCH, 0, 0);
    }

    /**
     * {@code latest}: each session's latest checkpoint (the ones this check does not concern are skipped);
     * those expired at {@code now} are counted apart; at most {@code limit} session ids per cause.
     */
    Report report(Collection<StoredCheckpoint> latest, Instant now, int limit, int unreadable) {
        Optional<List<String>> operations = table.describe(fromSchema, toSchema);
        String noPath = operations.isPresent()
                ? null
                : "no migration path " + fromSchema + "→" + toSchema
                        + table.explain(Json.mapper().createObjectNode(), fromSchema, toSchema)
                                .map(f -> " (" + f.reason() + ")")
                                .orElse("");
        // without a path every checkpoint fails alike, whatever its variables
        Optional<Migrations.Failure> everyone = operations.isPresent()
                ? Optional.empty()
                : Optional.of(new Migrations.Failure(fromSchema, null, null, noPath));
        int checkpoints = 0;
        int expired = 0;
        int migratable = 0;
        Map<Migrations.Failure, TreeSet<String>> failed = new LinkedHashMap<>();
        for (StoredCheckpoint c : latest) {
            if (!concerns(c)) {
                continue;
            }
            if (c.isExpiredAt(now)) {
                expired++;
                continue;
            }
            checkpoints++;
            Optional<Migrations.Failure> failure =
                    everyone.isPresent() ? everyone : table.explain(c.variables(), fromSchema, toSchema);
            if (failure.isEmpty()) {
                migratable++;
            } else {
                failed.computeIfAbsent(failure.get(), f -> new TreeSet<>()).add(c.sessionId());
            }
        }
        List<FailureGroup> groups = new ArrayList<>();
        int failing = 0;
        for (Map.Entry<Migrations.Failure, TreeSet<String>> e : failed.entrySet()) {
            failing += e.getValue().size();
            groups.add(new FailureGroup(
                    e.getKey(),
                    e.getValue().size(),
                    e.getValue().stream().limit(limit).toList()));
        }
        groups.sort((a, b) -> Integer.compare(b.count(), a.count()));
        return new Report(
                fromSchema,
                toSchema,
                flowVersions,
                operations,
                noPath,
                checkpoints,
                expired,
                migratable,
                failing,
                List.copyOf(groups),
                unreadable);
    }

    /** The report for a person. {@code stored}: false in the static mode, where no checkpoint was read. */
    static void print(Report r, boolean stored, String source, PrintWriter out) {
        out.printf(
                "flow release: checkpoints of schema %d served to flows asking for schema %d%s%n",
                r.fromSchema(),
                r.toSchema(),
                r.flowVersions().isEmpty() ? "" : " (flow versions " + String.join(", ", r.flowVersions()) + ")");
        if (r.pathExists()) {
            List<String> ops = r.operations().orElseThrow();
            out.printf("path %d→%d exists: %d operation(s)%n", r.fromSchema(), r.toSchema(), ops.size());
            ops.forEach(op -> out.println("  " + op));
        } else {
            out.println(r.noPathReason());
        }
        if (!stored) {
            return;
        }
        out.printf(
                "stored checkpoints of schema %d in %s: %d live (%d expired, not counted)%n",
                r.fromSchema(), source, r.checkpoints(), r.expired());
        out.printf("  migrate cleanly: %d%n", r.migratable());
        out.printf("  cannot be served: %d%n", r.failing());
        for (FailureGroup g : r.failures()) {
            Migrations.Failure f = g.cause();
            if (f.missingStep()) {
                out.printf("    %d: %s%n", g.count(), f.reason());
            } else {
                out.printf(
                        "    %d: variable %s, step %d→%d %s: %s%n",
                        g.count(), f.variable(), f.step(), f.step() + 1, f.operation(), f.reason());
            }
            String more = g.count() > g.sessionIds().size() ? " ..." : "";
            out.printf("      sessions: %s%s%n", String.join(", ", g.sessionIds()), more);
        }
        if (r.unreadable() > 0) {
            out.printf(
                    "  %d record(s) could not be read as a stored checkpoint (not counted; see dead letters)%n",
                    r.unreadable());
        }
        out.println(r.servable() ? "result: servable" : "result: NOT servable");
    }

    /** The report for a machine. */
    static ObjectNode json(Report r, boolean stored) {
        ObjectNode o = Json.mapper().createObjectNode();
        o.put("from_schema", r.fromSchema());
        o.put("to_schema", r.toSchema());
        ArrayNode flows = o.putArray("flow_versions");
        r.flowVersions().forEach(flows::add);
        o.put("path_exists", r.pathExists());
        if (r.pathExists()) {
            ArrayNode ops = o.putArray("operations");
            r.operations().orElseThrow().forEach(ops::add);
        } else {
            o.put("no_path_reason", r.noPathReason());
        }
        if (stored) {
            o.put("checkpoints", r.checkpoints());
            o.put("expired", r.expired());
            o.put("migratable", r.migratable());
            o.put("failing", r.failing());
            o.put("unreadable", r.unreadable());
            ArrayNode failures = o.putArray("failures");
            for (FailureGroup g : r.failures()) {
                ObjectNode f = failures.addObject();
                Migrations.Failure cause = g.cause();
                if (cause.missingStep()) {
                    f.putNull("step");
                } else {
                    f.put("step", cause.step() + "→" + (cause.step() + 1));
                }
                f.put("operation", cause.operation());
                f.put("variable", cause.variable());
                f.put("reason", cause.reason());
                f.put("count", g.count());
                ArrayNode ids = f.putArray("session_ids");
                g.sessionIds().forEach(ids::add);
            }
        }
        o.put("servable", r.servable());
        return o;
    }
}
