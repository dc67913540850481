package io.splitguard.chaos.check;

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
     */
    public record Row(String key, String session, long epoch, long sequence, String payloadHash, long writtenAtMs) {}

    /** One sequenced mutation on the mutations topic. */
    public record Applied(String key, String session, long epoch, long sequence, String payloadHash) {}
}
