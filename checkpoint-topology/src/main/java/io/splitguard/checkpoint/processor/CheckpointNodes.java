package io.splitguard.checkpoint.processor;

/**
 * Names of the checkpoint topology's nodes and its store. The store name is part of the deployed state
 * (it names the changelog topic and the RocksDB directory) and the read path's contract (interactive
 * queries look it up by name): never rename it on a running deployment.
 */
public final class CheckpointNodes {

    public static final String SOURCE = "checkpoints-in-source";
    public static final String PROCESSOR = "checkpoint-processor";

    /**
     * Key-value store: session id (String) → the session's latest {@code StoredCheckpoint} (JSON, the
     * stored-checkpoint schema). An entry past its {@code expires_at} counts as absent until the purge
     * deletes it.
     */
    public static final String LATEST_STORE = "latest-checkpoints";

    public static final String CHECKPOINTS_SINK = "checkpoints-sink";
    public static final String AUDIT_SINK = "audit-sink";
    public static final String DEAD_LETTER_SINK = "dead-letter-sink";

    private CheckpointNodes() {}
}
