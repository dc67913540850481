package io.splitguard.chaos.check;

import io.splitguard.chaos.faults.InjectedFault;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.apache.kafka.common.utils.Utils;

/**
 * How long processing stalled around each fault, read from when the sink wrote rows: for every
 * partition that had rows written after the fault, the wait from the fault (or its healing) to the
 * first such row; the worst partition is the fault's stall. Under continuous load over many sessions
 * this is the time from the fault until the whole pipeline was writing again.
 */
public final class Recovery {

    /**
     * @param fromFaultMs worst partition's wait from the fault's injection to its first row after it; -1 when none came
     * @param fromHealMs the same from the moment healing began
     */
    public record Stall(InjectedFault injected, long fromFaultMs, long fromHealMs) {}

    private Recovery() {}

    public static List<Stall> stalls(List<InjectedFault> faults, List<Observed.Row> rows, int partitions) {
        Map<Integer, List<Long>> writesByPartition = new HashMap<>();
        for (Observed.Row row : rows) {
            writesByPartition
                    .computeIfAbsent(partitionOf(row.session(), partitions), p -> new ArrayList<>())
                    .add(row.writtenAtMs());
        }
        writesByPartition.values().forEach(list -> list.sort(Long::compare));
        List<Stall> stalls = new ArrayList<>();
        for (InjectedFault fault : faults) {
            stalls.add(new Stall(
                    fault,
                    worstWait(writesByPartition, fault.injectedAtMs()),
                    worstWait(writesByPartition, fault.healedAtMs())));
        }
        return stalls;
    }

    private static long worstWait(Map<Integer, List<Long>> writesByPartition, long from) {
        long worst = -1;
        for (List<Long> writes : writesByPartition.values()) {
            OptionalLong first = writes.stream()
                    .mapToLong(Long::longValue)
                    .filter(t -> t >= from)
                    .findFirst();
            if (first.isPresent()) {
                worst = Math.max(worst, first.getAsLong() - from);
            }
        }
        return worst;
    }

    /** The partition Kafka's default partitioner gives a session id. */
    public static int partitionOf(String session, int partitions) {
        return Utils.toPositive(Utils.murmur2(session.getBytes(StandardCharsets.UTF_8))) % partitions;
    }
}
