package io.splitguard.topology.processor;

/**
 * Names of the dedup topology's nodes and stores. Store names are part of the deployed state
 * (they name the changelog topics and RocksDB directories): never rename one on a running deployment.
 */
public final class DedupNodes {

    public static final String SOURCE = "mutations-in-source";
    public static final String PROCESSOR = "dedup-processor";
    public static final String DEDUP_STORE = "dedup-keys";
    public static final String SEQUENCE_STORE = "session-sequences";
    public static final String MUTATIONS_SINK = "mutations-sink";
    public static final String OUTCOMES_SINK = "outcomes-sink";
    public static final String AUDIT_SINK = "audit-sink";
    public static final String DEAD_LETTER_SINK = "dead-letter-sink";

    private DedupNodes() {}
}
