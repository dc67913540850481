package io.splitguard.gateway.kafka;

import io.splitguard.schemas.model.MutationRequest;
import io.splitguard.schemas.topics.Topic;
import io.splitguard.schemas.topics.TopicCatalog;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;

/** Writes accepted mutations to the mutations-in topic, keyed by session id, through the {@link DurableSender}. */
@Singleton
public class MutationProducer {

    private final Topic<String, MutationRequest> topic;
    private final DurableSender sender;

    public MutationProducer(TopicCatalog catalog, DurableSender sender) {
        this.topic = catalog.mutationsIn;
        this.sender = sender;
    }

    /**
     * Sends {@code value} keyed by its session id; fails with {@link NotSentException} when nothing can
     * have been appended and with the producer's error otherwise (indeterminate).
     */
    public CompletableFuture<RecordMetadata> send(MutationRequest value) {
        return sender.send(
                topic.name(), value.sessionId(), value, topic.valueSerde().serializer());
    }

    /** Partitions of the mutations-in topic as the producer's metadata knows them (may block up to max.block.ms). */
    public List<PartitionInfo> mutationsInPartitions() {
        return sender.partitionsFor(topic.name());
    }
}
