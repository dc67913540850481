package io.splitguard.chaos.check;

import java.util.List;

/**
 * What the system recorded about the lease sessions once everything settled.
 *
 * @param audits the lease sessions' records on the audit topic as a read-committed reader sees them, with
 *     their partition and offset
 * @param rows the lease sessions' rows of {@code crm_contact_updates}
 * @param committed the lease sessions' committed records on the mutations topic
 * @param sinkRefusals the lease sessions' rows of {@code sink_refusals}, by reason
 * @param incomplete why this observation may not be final; empty when the harness saw everything settle
 */
public record LeaseFinal(
        List<Audit> audits,
        List<Row> rows,
        List<Observed.Applied> committed,
        java.util.Map<String, Long> sinkRefusals,
        List<String> incomplete) {

    public LeaseFinal {
        audits = List.copyOf(audits);
        rows = List.copyOf(rows);
        committed = List.copyOf(committed);
        sinkRefusals = java.util.Map.copyOf(sinkRefusals);
        incomplete = List.copyOf(incomplete);
    }

    /**
     * One audit record of a lease session.
     *
     * @param decision the wire name ({@code lease_granted}, {@code applied}, {@code fenced}, ...)
     * @param sequence the record's {@code sequence}: a lease decision's fencing token, an applied mutation's
     *     sequence, a fenced write's refused token; -1 when absent
     * @param atMs the record's {@code at}
     */
    public record Audit(
            int partition,
            long offset,
            String decision,
            String resource,
            String requestId,
            String scopedKey,
            long sequence,
            long atMs,
            String detail) {

        /** The idempotency key of a mutation's record: what follows the last {@code |} of its scoped key. */
        public String key() {
            return scopedKey == null ? null : scopedKey.substring(scopedKey.lastIndexOf('|') + 1);
        }
    }

    /** One row of {@code crm_contact_updates} of a lease session ({@code fencingToken} null: none). */
    public record Row(String key, String session, long epoch, long sequence, Long fencingToken) {}
}
