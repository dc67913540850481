package io.splitguard.gateway.kafka;

import io.splitguard.schemas.model.CheckpointRequest;
import io.splitguard.schemas.topics.Topic;
import io.splitguard.schemas.topics.TopicCatalog;
import jakarta.inject.Singleton;
import java.util.concurrent.CompletableFuture;

/** Writes accepted checkpoints to the checkpoints-in topic, keyed by session id, through the {@link DurableSender}. */
@Singleton
public class CheckpointProducer {

    private final Topic<String, CheckpointRequest> topic;
    private final DurableSender sender;

    public CheckpointProducer(TopicCatalog catalog, DurableSender sender) {
        this.topic = catalog.checkpointsIn;
        this.sender = sender;
    }

    /**
     * Sends {@code value} keyed by its session id; completes with the record's position {@code
     * partition:offset} on checkpoints-in (what a read-your-writes read passes back), fails with {@link
     * NotSentException} when nothing can have been appended and with the producer's error otherwise.
     */
    public CompletableFuture<String> send(CheckpointRequest value) {
        CompletableFuture<String> position = new CompletableFuture<>();
        // the sender's own exception, not wrapped: callers tell NotSentException from the rest
        sender.send(topic.name(), value.sessionId(), value, topic.valueSerde().serializer())
                .whenComplete((metadata, error) -> {
                    if (error != null) {
                        position.completeExceptionally(error);
                    } else {
                        position.complete(metadata.partition() + ":" + metadata.offset());
                    }
                });
        return position;
    }
}
