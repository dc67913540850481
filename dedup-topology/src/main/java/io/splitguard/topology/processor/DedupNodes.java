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
    public static final String LEASE_SOURCE = "lease-commands-source";
    public static final String LEASE_PROCESSOR = "lease-processor";
    /**
     * Per-resource lease state ({@code LeaseState}, key = resource id). Connected to the lease
     * processor and to the dedup processor, which puts both in one sub-topology: the task that owns
     * partition p decides session p's mutations and its leases.
     */
    public static final String LEASE_STORE = "lease-state";

    public static final String LEASE_DECISIONS_SINK = "lease-decisions-sink";

    private DedupNodes() {}
}
