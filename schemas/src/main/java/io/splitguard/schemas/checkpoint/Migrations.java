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
        private interface Operation {
            /** False when it cannot apply; the migration then fails as a whole. */
            boolean apply(ObjectNode variables);
        }

        private final List<Operation> operations = new ArrayList<>();

        private Step() {}

        /** Moves {@code from} to {@code to}; fails when both exist. Absent {@code from}: nothing to do. */
        public Step rename(String from, String to) {
            operations.add(v -> {
                if (!v.has(from)) {
                    return true;
                }
                if (v.has(to)) {
                    return false;
                }
                v.set(to, v.remove(from));
                return true;
            });
            return this;
        }

        public Step drop(String name) {
            operations.add(v -> {
                v.remove(name);
                return true;
            });
            return this;
        }

        /** Sets {@code name} to {@code value} when it is absent or null. */
        public Step defaultValue(String name, JsonNode value) {
            Objects.requireNonNull(value, "value");
            operations.add(v -> {
                JsonNode present = v.get(name);
                if (present == null || present.isNull()) {
                    v.set(name, value.deepCopy());
                }
                return true;
            });
            return this;
        }

        /** A text holding an exact decimal number becomes that number; a number stays; anything else fails. */
        public Step toNumber(String name) {
            operations.add(v -> {
                JsonNode present = v.get(name);
                if (present == null || present.isNull() || present.isNumber()) {
                    return true;
                }
                if (!present.isTextual()) {
                    return false;
                }
                try {
                    BigDecimal number = new BigDecimal(present.textValue().trim());
                    if ((long) number.precision() - number.scale() > Storable.MAX_INTEGER_DIGITS
                            || number.scale() > Storable.MAX_FRACTION_DIGITS) {
                        return false; // beyond what jsonb can hold
                    }
                    v.set(name, numberNode(number));
                    return true;
                } catch (NumberFormatException | ArithmeticException e) {
                    return false;
                }
            });
            return this;
        }

        /** A number or boolean becomes its text; a text stays; an object or array fails. */
        public Step toText(String name) {
            operations.add(v -> {
                JsonNode present = v.get(name);
                if (present == null || present.isNull() || present.isTextual()) {
                    return true;
                }
                if (present.isNumber()) {
                    v.put(name, present.decimalValue().toPlainString());
                    return true;
                }
                if (present.isBoolean()) {
                    v.put(name, present.asText());
                    return true;
                }
                return false;
            });
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

        boolean apply(ObjectNode variables) {
            for (Operation operation : operations) {
                if (!operation.apply(variables)) {
                    return false;
                }
            }
            return true;
        }
    }
}
