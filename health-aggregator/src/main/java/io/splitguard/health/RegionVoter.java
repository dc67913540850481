package io.splitguard.health;

import io.splitguard.schemas.model.RegionVote;
import io.splitguard.schemas.topics.TopicCatalog;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes this region's health vote to region-health (key = the region) on the vote interval: its
 * composite health's last evaluation (never a fresh check), which region it believes is primary and
 * whether that primary looks healthy from here. A plain idempotent producer with {@code acks=all};
 * a vote that cannot be sent is logged and the next interval sends a new one (votes are state, not
 * events: only the latest matters).
 */
public final class RegionVoter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RegionVoter.class);

    /** What a voter believes about the primary (usually a {@link RegionView}). */
    public interface PrimaryView {
        String primary();

        long epoch();

        /** Whether the primary looks healthy from this region. */
        boolean primaryHealthy();
    }

    private final String region;
    private final String topic;
    private final Supplier<HealthReport> health;
    private final PrimaryView view;
    private final Clock clock;
    private final KafkaProducer<String, RegionVote> producer;
    private final ScheduledExecutorService scheduler;
    private final Duration interval;
    /** Whether this region has been healthy since it started: until then the scheduled votes abstain. */
    private volatile boolean healthySinceStart;

    private RegionVoter(
            String region,
            TopicCatalog topics,
            Supplier<HealthReport> health,
            PrimaryView view,
            Clock clock,
            KafkaProducer<String, RegionVote> producer,
            Duration interval) {
        this.region = region;
        this.interval = interval;
        this.topic = topics.regionHealth.name();
        this.health = health;
        this.view = view;
        this.clock = clock;
        this.producer = producer;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "splitguard-region-voter");
            t.setDaemon(true);
            return t;
        });
    }

    /** The producer's settings: idempotent, acks=all, a bounded wait so one stuck vote does not block the next. */
    static Map<String, Object> producerProperties(
            String bootstrapServers, Map<String, ?> clientProperties, String region, Duration interval) {
        Map<String, Object> props = new HashMap<>(clientProperties);
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "splitguard-region-voter-" + region);
        int deliveryMs = (int) Math.max(interval.multipliedBy(4).toMillis(), 5_000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(deliveryMs, 5_000));
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Math.max(deliveryMs, 5_000 + 100));
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (long) Math.min(deliveryMs, 5_000));
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        return props;
    }

    /**
     * A voter for {@code settings.region()}; nothing is sent before {@link #start()} or {@link #voteNow()}.
     *
     * @param health the composite health whose last evaluation is the vote (e.g. {@code composite::report})
     * @param view which region is primary, and whether it looks healthy
     */
    public static RegionVoter create(
            String bootstrapServers,
            Map<String, ?> clientProperties,
            TopicCatalog topics,
            RegionSettings settings,
            Supplier<HealthReport> health,
            PrimaryView view,
            Clock clock) {
        Objects.requireNonNull(health, "health");
        Objects.requireNonNull(view, "view");
        KafkaProducer<String, RegionVote> producer = new KafkaProducer<>(
                producerProperties(bootstrapServers, clientProperties, settings.region(), settings.voteInterval()),
                new StringSerializer(),
                topics.regionHealth.valueSerde().serializer());
        return new RegionVoter(settings.region(), topics, health, view, clock, producer, settings.voteInterval());
    }

    /**
     * Sends a vote now and then every vote interval. A region that has not yet been healthy since it
     * started abstains (sends nothing) rather than vote itself unhealthy: a primary still warming up
     * (its checks not yet passed, or timing out on a loaded host) would otherwise be voted out the moment
     * it starts. Its silence counts for nothing; a primary that never becomes healthy still loses its
     * role once the others find its votes older than the age bound.
     */
    public RegionVoter start() {
        scheduler.scheduleAtFixedRate(this::send, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** The vote this region would send now. */
    public RegionVote vote() {
        HealthReport report = health.get();
        boolean healthy = report.healthy();
        String primary = view.primary();
        boolean primaryHealthy = region.equals(primary) ? healthy : view.primaryHealthy();
        return new RegionVote(region, healthy, report.status(), primary, view.epoch(), primaryHealthy, clock.instant());
    }

    /** Sends one vote and waits for its acknowledgement. */
    public RecordMetadata voteNow() throws InterruptedException, ExecutionException, TimeoutException {
        return producer.send(new ProducerRecord<>(topic, region, vote())).get(30, TimeUnit.SECONDS);
    }

    private void send() {
        try {
            RegionVote vote = vote();
            if (!healthySinceStart) {
                if (!vote.healthy()) {
                    LOG.debug("region {} abstains: not yet healthy since it started", region);
                    return;
                }
                healthySinceStart = true;
                LOG.info("region {} is healthy and votes from now on", region);
            }
            producer.send(new ProducerRecord<>(topic, region, vote), (metadata, error) -> {
                if (error != null) {
                    LOG.warn("region {} could not publish its vote: {}", region, error.toString());
                }
            });
        } catch (RuntimeException e) {
            LOG.warn("region {} could not publish its vote", region, e);
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        producer.close(Duration.ofSeconds(5));
    }
}
