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

    /** One row written by the sink. */
    public record Row(String key, String session, long sequence, String payloadHash, long writtenAtMs) {}

    /** One sequenced mutation on the mutations topic. */
    public record Applied(String key, String session, long sequence, String payloadHash) {}
}
