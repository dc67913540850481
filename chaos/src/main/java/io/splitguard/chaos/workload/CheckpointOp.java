package io.splitguard.chaos.workload;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.JsonNode;
import io.splitguard.schemas.json.Json;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * One completed checkpoint request in the history: a write, or a read of the latest checkpoint.
 *
 * @param type {@link #WRITE} (a region saves the next sequence), {@link #STALE_WRITE} (the lagging region
 *     sends a sequence that is not newer than one already acknowledged, with other variables), {@link
 *     #READ} (a plain read, no position) or {@link #RYW_READ} (a read through the other gateway carrying the
 *     position a write's 2xx named)
 * @param region the simulated region that sent it
 * @param gateway index of the gateway instance it went to
 * @param sequence writes: the sequence sent; reads that restored: the sequence served; otherwise -1
 * @param checkpointId writes: sent; reads that restored: served; otherwise null
 * @param variables writes: sent; reads that restored: served (both canonical JSON, keys sorted); else null
 * @param ttlSeconds writes: the TTL asked for; reads: 0
 * @param result {@code ok} (2xx), {@code fail} (4xx: refused), {@code info} (5xx, timeout, no answer)
 * @param position writes: the position a 2xx named; {@link #RYW_READ}: the position sent; else null
 * @param afterWrite {@link #RYW_READ}: the id of the acknowledged write whose position it carries; else 0
 * @param acknowledgedBefore reads: the highest sequence of this session the workload had seen acknowledged
 *     when it sent the read (-1: none); writes: -1
 * @param restore reads answered 200: whether a checkpoint was served; else null
 * @param reason reads answered {@code restore: false}: the reason; else null
 * @param detail the error or problem text of an answer that was not 2xx (trimmed), else empty
 */
public record CheckpointOp(
        long id,
        String type,
        String region,
        int gateway,
        String session,
        long sequence,
        String checkpointId,
        String variables,
        int ttlSeconds,
        long invokedAtMs,
        long completedAtMs,
        String result,
        int status,
        String position,
        long afterWrite,
        long acknowledgedBefore,
        Boolean restore,
        String reason,
        String detail) {

    public static final String WRITE = "checkpoint_write";
    public static final String STALE_WRITE = "checkpoint_stale_write";
    public static final String READ = "checkpoint_read";
    public static final String RYW_READ = "checkpoint_ryw_read";

    @JsonIgnore
    public boolean isWrite() {
        return WRITE.equals(type) || STALE_WRITE.equals(type);
    }

    @JsonIgnore
    public boolean isRead() {
        return READ.equals(type) || RYW_READ.equals(type);
    }

    public boolean ok() {
        return Op.OK.equals(result);
    }

    public boolean info() {
        return Op.INFO.equals(result);
    }

    /** A read answered 200 with {@code restore: true}. */
    public boolean restored() {
        return isRead() && ok() && Boolean.TRUE.equals(restore);
    }

    /** What identifies a checkpoint's content: sequence, checkpoint id and variables. */
    public String content() {
        return content(sequence, checkpointId, variables);
    }

    public static String content(long sequence, String checkpointId, String variables) {
        return sequence + " " + checkpointId + " " + variables;
    }

    /** {@code node} as JSON text with every object's keys sorted, so equal documents give equal text. */
    public static String canonical(JsonNode node) {
        try {
            return Json.mapper().writeValueAsString(sorted(node));
        } catch (IOException e) {
            throw new IllegalStateException("a parsed document is always serializable", e);
        }
    }

    /** {@link #canonical(JsonNode)} of JSON text. */
    public static String canonical(String json) {
        try {
            return canonical(Json.mapper().readTree(json));
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + json, e);
        }
    }

    private static Object sorted(JsonNode node) {
        if (node.isObject()) {
            Map<String, Object> fields = new TreeMap<>();
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                fields.put(e.getKey(), sorted(e.getValue()));
            }
            return fields;
        }
        if (node.isArray()) {
            java.util.List<Object> items = new java.util.ArrayList<>();
            node.forEach(n -> items.add(sorted(n)));
            return items;
        }
        return node;
    }
}
