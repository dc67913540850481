package io.splitguard.schemas.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.splitguard.schemas.json.Storable;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The table of checkpoint schema migrations: one step per version, from N to N+1, each a list of
 * operations on the top-level variables (rename, drop, default, change a type). Only forward: a
 * checkpoint stored at version 2 can be served to a flow asking for 3 when step 2→3 exists, never to
 * one asking for 1.
 *
 * <p>A migration either succeeds completely or yields nothing: when a step is missing, or an operation
 * cannot apply (a text that is not a number where a number is wanted, a rename onto an existing
 * variable), {@link #migrate} returns empty and the read answers {@code schema_incompatible}.
 */
public final class Migrations {

    /**
     * The shipped table. Step 1→2 is illustrative: {@code crm_id} became {@code crm_record_id}, {@code
     * auth_status} gained the default {@code "unverified"}, {@code retry_count} is a number.
     */
    public static final Migrations DEFAULT = builder()
            .step(1, s -> s.rename("crm_id", "crm_record_id")
                    .defaultValue("auth_status", JsonNodeFactory.instance.textNode("unverified"))
                    .toNumber("retry_count"))
            .build();

    private final Map<Integer, Step> steps;

    private Migrations(Map<Integer, Step> steps) {
        this.steps = Map.copyOf(steps);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The result of a migration: the variables at the target version and the versions passed through. */
    public record Migrated(ObjectNode variables, List<Integer> path) {
        public Migrated {
            Objects.requireNonNull(variables, "variables");
            path = List.copyOf(path);
        }

        /** The version migrated from, i.e. the first of {@link #path}. */
        public int from() {
            return path.get(0);
        }
    }

    /**
     * {@code variables} of schema version {@code from} migrated to {@code to}: the new variables (a copy;
     * the argument is never changed) and the path, e.g. {@code [1, 2, 3]}; {@code [from]} when the
     * versions are equal. Empty when {@code to < from}, when a step on the way is missing, or when an
     * operation fails.
     */
    public Optional<Migrated> migrate(JsonNode variables, int from, int to) {
        Objects.requireNonNull(variables, "variables");
        if (!variables.isObject() || from < 1 || to < from) {
            return Optional.empty();
        }
        ObjectNode current = ((ObjectNode) variables).deepCopy();
        List<Integer> path = new ArrayList<>(List.of(from));
        for (int version = from; version < to; version++) {
            Step step = steps.get(version);
            if (step == null || !step.apply(current)) {
                return Optional.empty();
            }
            path.add(version + 1);
        }
        return Optional.of(new Migrated(current, path));
    }

    /** True when a checkpoint of version {@code from} can possibly be served at {@code to} (a step chain exists). */
    public boolean hasPath(int from, int to) {
        if (from < 1 || to < from) {
            return false;
        }
        for (int version = from; version < to; version++) {
            if (!steps.containsKey(version)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Why {@link #migrate} gives nothing for these arguments: the first step or operation that stands in
     * the way. Empty exactly when {@code migrate} succeeds. Meant for operators' tools, which must say
     * which variable of which stored checkpoint blocks a release; the read path only needs {@code
     * migrate}.
     */
    public Optional<Failure> explain(JsonNode variables, int from, int to) {
        Objects.requireNonNull(variables, "variables");
        if (from < 1 || to < from) {
            return Optional.of(new Failure(from, null, null, "migrations only go forward from version 1"));
        }
        if (!variables.isObject()) {
            return Optional.of(new Failure(from, null, null, "the variables are not a JSON object"));
        }
        ObjectNode current = ((ObjectNode) variables).deepCopy();
        for (int version = from; version < to; version++) {
            Step step = steps.get(version);
            if (step == null) {
                return Optional.of(
                        new Failure(version, null, null, "no migration step " + version + "→" + (version + 1)));
            }
            for (Step.Operation operation : step.operations) {
                String reason = operation.apply(current);
                if (reason != null) {
                    return Optional.of(new Failure(version, operation.kind(), operation.variable(), reason));
                }
            }
        }
        return Optional.empty();
    }

    /**
     * The operations a checkpoint goes through from {@code from} to {@code to}, step by step, in order,
     * e.g. {@code "1→2 rename crm_id to crm_record_id"}; empty when there is no path (see {@link
     * #hasPath}), an empty list when the versions are equal.
     */
    public Optional<List<String>> describe(int from, int to) {
        if (!hasPath(from, to)) {
            return Optional.empty();
        }
        List<String> lines = new ArrayList<>();
        for (int version = from; version < to; version++) {
            for (Step.Operation operation : steps.get(version).operations) {
                lines.add(version + "→" + (version + 1) + " " + operation.description());
            }
        }
        return Optional.of(List.copyOf(lines));
    }

    /**
     * What stopped a migration.
     *
     * @param step the version whose step failed or is missing (the step {@code step → step + 1})
     * @param operation the operation that could not apply ({@code rename}, {@code to_number}, ...); null
     *     when the step is missing or the request itself is impossible
     * @param variable the variable that operation was about; null as for {@code operation}
     * @param reason a sentence for an operator
     */
    public record Failure(int step, String operation, String variable, String reason) {
        public Failure {
            Objects.requireNonNull(reason, "reason");
        }

        /** True when the table lacks a step (every checkpoint fails alike), not when one checkpoint does not fit. */
        public boolean missingStep() {
            return operation == null;
        }
    }

    /** Builds a table; each version has at most one step. */
    public static final class Builder {
        private final Map<Integer, Step> steps = new TreeMap<>();

        private Builder() {}

        /** The step from {@code from} to {@code from + 1}, its operations in order. */
        public Builder step(int from, Consumer<Step> operations) {
            if (from < 1) {
                throw new IllegalArgumentException("versions start at 1");
            }
            if (steps.containsKey(from)) {
                throw new IllegalArgumentException("step " + from + "→" + (from + 1) + " defined twice");
            }
            Step step = new Step();
            operations.accept(step);
            steps.put(from, step);
            return this;
        }

        public Migrations build() {
            return new Migrations(steps);
        }
    }

    /** The operations of one step, applied in the order they were added. */
    public static final class Step {
        /** One operation on the variables; a null reason means it applied. */
        private record Operation(String kind, String variable, String description, Change change) {
            /** Null when it applied, else why not; the migration then fails as a whole. */
            String apply(ObjectNode variables) {
                return change.apply(variables);
            }
        }

        private interface Change {
            String apply(ObjectNode variables);
        }

        private final List<Operation> operations = new ArrayList<>();

        private Step() {}

        /** Moves {@code from} to {@code to}; fails when both exist. Absent {@code from}: nothing to do. */
        public Step rename(String from, String to) {
            operations.add(new Operation("rename", from, "rename " + from + " to " + to, v -> {
                if (!v.has(from)) {
                    return null;
                }
                if (v.has(to)) {
                    return "cannot rename " + from + " to " + to + ": both are present";
                }
                v.set(to, v.remove(from));
                return null;
            }));
            return this;
        }

        public Step drop(String name) {
            operations.add(new Operation("drop", name, "drop " + name, v -> {
                v.remove(name);
                return null;
            }));
            return this;
        }

        /** Sets {@code name} to {@code value} when it is absent or null. */
        public Step defaultValue(String name, JsonNode value) {
            Objects.requireNonNull(value, "value");
            operations.add(new Operation("default", name, "default " + name + " to " + value, v -> {
                JsonNode present = v.get(name);
                if (present == null || present.isNull()) {
                    v.set(name, value.deepCopy());
                }
                return null;
            }));
            return this;
        }

        /** A text holding an exact decimal number becomes that number; a number stays; anything else fails. */
        public Step toNumber(String name) {
            operations.add(new Operation("to_number", name, "change " + name + " to a number", v -> {
                JsonNode present = v.get(name);
                if (present == null || present.isNull() || present.isNumber()) {
                    return null;
                }
                if (!present.isTextual()) {
                    return name + " is " + kindOf(present) + ", not a number or a text holding one";
                }
                try {
                    BigDecimal number = new BigDecimal(present.textValue().trim());
                    if ((long) number.precision() - number.scale() > Storable.MAX_INTEGER_DIGITS
                            || number.scale() > Storable.MAX_FRACTION_DIGITS) {
                        return name + " holds a number beyond what jsonb can hold";
                    }
                    v.set(name, numberNode(number));
                    return null;
                } catch (NumberFormatException | ArithmeticException e) {
                    return name + " is a text that is not a number";
                }
            }));
            return this;
        }

        /** A number or boolean becomes its text; a text stays; an object or array fails. */
        public Step toText(String name) {
            operations.add(new Operation("to_text", name, "change " + name + " to a text", v -> {
                JsonNode present = v.get(name);
                if (present == null || present.isNull() || present.isTextual()) {
                    return null;
                }
                if (present.isNumber()) {
                    v.put(name, present.decimalValue().toPlainString());
                    return null;
                }
                if (present.isBoolean()) {
                    v.put(name, present.asText());
                    return null;
                }
                return name + " is " + kindOf(present) + ", which has no text form";
            }));
            return this;
        }

        /** The node the shared JSON mapping reads for this number (int, long, big integer or exact decimal). */
        private static JsonNode numberNode(BigDecimal number) {
            if (number.scale() > 0) {
                return JsonNodeFactory.instance.numberNode(number);
            }
            java.math.BigInteger integer = number.toBigIntegerExact();
            if (integer.bitLength() < Integer.SIZE) {
                return JsonNodeFactory.instance.numberNode(integer.intValue());
            }
            if (integer.bitLength() < Long.SIZE) {
                return JsonNodeFactory.instance.numberNode(integer.longValue());
            }
            return JsonNodeFactory.instance.numberNode(integer);
        }

        /** "an object", "an array", ... for a reason. */
        private static String kindOf(JsonNode node) {
            return switch (node.getNodeType()) {
                case OBJECT -> "an object";
                case ARRAY -> "an array";
                case BOOLEAN -> "a boolean";
                case BINARY -> "binary";
                default -> "a " + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
            };
        }

        boolean apply(ObjectNode variables) {
            for (Operation operation : operations) {
                if (operation.apply(variables) != null) {
                    return false;
                }
            }
            return true;
        }
    }
}
