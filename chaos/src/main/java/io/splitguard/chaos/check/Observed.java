package io.splitguard.chaos.check;

import java.util.List;

/**
 * What the system holds after healing and draining.
 *
 * @param rows the rows of {@code crm_contact_updates}
 * @param committed the records a read-committed reader sees on the mutations topic
 */
public record Observed(List<Row> rows, List<Applied> committed) {

    /** One row written by the sink. */
    public record Row(String key, String session, long sequence, String payloadHash, long writtenAtMs) {}

    /** One sequenced mutation on the mutations topic. */
    public record Applied(String key, String session, long sequence, String payloadHash) {}
}
