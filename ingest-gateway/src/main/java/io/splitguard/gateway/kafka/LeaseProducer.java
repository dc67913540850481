package io.splitguard.gateway.kafka;

import io.splitguard.schemas.model.LeaseCommand;
import io.splitguard.schemas.topics.Topic;
import io.splitguard.schemas.topics.TopicCatalog;
import jakarta.inject.Singleton;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.RecordMetadata;

/** Writes lease commands to the lease-commands topic, keyed by resource id, through the {@link DurableSender}. */
@Singleton
public class LeaseProducer {

    private final Topic<String, LeaseCommand> topic;
    private final DurableSender sender;

    public LeaseProducer(TopicCatalog catalog, DurableSender sender) {
        this.topic = catalog.leaseCommands;
        this.sender = sender;
    }

    /** See {@link DurableSender#send}: {@link NotSentException} when nothing can have been appended. */
    public CompletableFuture<RecordMetadata> send(LeaseCommand command) {
        return sender.send(
                topic.name(), command.resourceId(), command, topic.valueSerde().serializer());
    }
}
