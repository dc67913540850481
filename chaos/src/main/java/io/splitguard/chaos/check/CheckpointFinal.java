package io.splitguard.chaos.check;

import java.util.List;
import java.util.Map;

/**
 * The checkpoints the system holds after healing and draining.
 *
 * @param gateways per session, the answer of each gateway instance to a plain read of the latest checkpoint
 * @param rows per session, its row of {@code session_checkpoints} (absent: no row)
 * @param incomplete why this observation may not be final (a gateway never answered, the table did not
 *     settle); empty when the harness saw everything settle
 */
public record CheckpointFinal(Map<String, List<Served>> gateways, Map<String, Served> rows, List<String> incomplete) {

    public CheckpointFinal {
        gateways = Map.copyOf(gateways);
        rows = Map.copyOf(rows);
        incomplete = List.copyOf(incomplete);
    }

    /**
     * A latest checkpoint as served or stored: {@code restore} false (with the reason) when there is none;
     * {@code variables} as canonical JSON (see {@code CheckpointOp.canonical}).
     */
    public record Served(boolean restore, String reason, long sequence, String checkpointId, String variables) {

        public static Served none(String reason) {
            return new Served(false, reason, -1, null, null);
        }

        public static Served of(long sequence, String checkpointId, String variables) {
            return new Served(true, null, sequence, checkpointId, variables);
        }

        public String content() {
            return sequence + " " + checkpointId + " " + variables;
        }

        @Override
        public String toString() {
            return restore ? "#" + sequence + " " + checkpointId + " " + variables : "restore:false " + reason;
        }
    }
}
