package io.splitguard.gateway.kafka;

import io.micronaut.context.annotation.Context;
import jakarta.annotation.PreDestroy;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.PartitionInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this instance can take traffic: the producer has metadata for the mutations-in topic
 * (Kafka reachable, topic present) and the outcomes listener has caught up. The metadata probe may
 * block, so it runs on its own thread and the endpoint only reads the last result.
 */
@Context
public class Readiness implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Readiness.class);

    private final MutationProducer producer;
    private final OutcomesListener outcomes;
    private final ScheduledExecutorService probe;
    private volatile boolean metadata;

    public Readiness(MutationProducer producer, OutcomesListener outcomes) {
        this.producer = producer;
        this.outcomes = outcomes;
        this.probe = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "gateway-readiness");
            t.setDaemon(true);
            return t;
        });
        probe.scheduleWithFixedDelay(this::check, 0, 1, TimeUnit.SECONDS);
    }

    private void check() {
        try {
            List<PartitionInfo> partitions = producer.mutationsInPartitions();
            metadata = partitions != null && !partitions.isEmpty();
        } catch (RuntimeException e) {
            if (metadata) {
                LOG.warn("lost metadata for the mutations-in topic: {}", e.toString());
            }
            metadata = false;
        }
    }

    public boolean kafkaMetadata() {
        return metadata;
    }

    public boolean outcomesCaughtUp() {
        return outcomes.caughtUp();
    }

    /** The outcomes listener is retrying after a failure: this instance does not hear other instances' keys. */
    public boolean outcomesFailing() {
        return outcomes.failing();
    }

    public boolean ready() {
        return kafkaMetadata() && outcomesCaughtUp() && !outcomesFailing();
    }

    @Override
    @PreDestroy
    public void close() {
        probe.shutdownNow();
    }
}
