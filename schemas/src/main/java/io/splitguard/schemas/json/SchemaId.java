package io.splitguard.schemas.json;

/** The JSON Schema contracts shipped in this module, under {@code /schemas/} on the classpath. */
public enum SchemaId {
    CRM_CONTACT_UPDATE("crm-contact-update"),
    MUTATION_REQUEST("mutation-request"),
    SEQUENCED_MUTATION("sequenced-mutation"),
    IDEMPOTENCY_OUTCOME("idempotency-outcome"),
    AUDIT_RECORD("audit-record"),
    CHECKPOINT_REQUEST("checkpoint-request"),
    STORED_CHECKPOINT("stored-checkpoint"),
    REGION_VOTE("region-vote"),
    FAILOVER_DECISION("failover-decision"),
    LEASE_COMMAND("lease-command"),
    LEASE_DECISION("lease-decision");

    private final String fileStem;

    SchemaId(String fileStem) {
        this.fileStem = fileStem;
    }

    public String resource() {
        return "/schemas/" + fileStem + ".schema.json";
    }
}
