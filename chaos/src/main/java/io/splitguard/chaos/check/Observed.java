package io.splitguard.chaos.check;

import io.splitguard.chaos.workload.Op;
import java.util.List;

/**
 * What the system holds after healing and draining.
 *
 * @param rows the rows of {@code crm_contact_updates}
 * @param committed the records a read-committed reader sees on the mutations topic
 * @param incomplete why this observation may not be final (e.g. the drain did not settle, deliveries
 *     were still pending); empty when the harness saw everything settle
 */
public record Observed(List<Row> rows, List<Applied> committed, List<String> incomplete) {

    public Observed(List<Row> rows, List<Applied> committed) {
        this(rows, committed, List.of());
    }

    /**
     * One row written by the sink. A session's sequences run 1..n within each {@code epoch}; a session
     * purged after its idle horizon and written again starts a new epoch at 1.
     *
     * @param payloadHash the row's {@code payload_hash} column (what the gateway computed for the key)
     * @param route the route the row's key is scoped to
     * @param operation the row's {@code operation} column
     * @param storedPayloadHash the hash of the row's {@code payload} column as read back from the database,
     *     for rows of a webhook route (whose payload is the notification as delivered); null for other
     *     routes, or when the payload could not be read
     */
    public record Row(
            String key,
            String session,
            long epoch,
            long sequence,
            String payloadHash,
            long writtenAtMs,
            String route,
            String operation,
            String storedPayloadHash) {

        /** A CRM update's row. */
        public Row(String key, String session, long epoch, long sequence, String payloadHash, long writtenAtMs) {
            this(key, session, epoch, sequence, payloadHash, writtenAtMs, Op.CRM_ROUTE, null, null);
        }
    }

    /** One sequenced mutation on the mutations topic. */
    public record Applied(String key, String session, long epoch, long sequence, String payloadHash, String route) {

        /** A CRM update's mutation. */
        public Applied(String key, String session, long epoch, long sequence, String payloadHash) {
            this(key, session, epoch, sequence, payloadHash, Op.CRM_ROUTE);
        }
    }
}
