package io.splitguard.health;

import io.splitguard.schemas.json.JsonSerde;
import io.splitguard.schemas.model.FailoverDecision;
import io.splitguard.schemas.model.RegionVote;
import io.splitguard.schemas.topics.TopicCatalog;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A region's view of the quorum, read from the two compacted region topics by a small background
 * consumer (no group: it assigns itself their single partitions and reads them from the start). It
 * holds each configured region's latest vote and the latest failover decision, so its memory is
 * bounded by the number of regions.
 *
 * <p>A vote's age is measured on this instance's {@link Clock} from the earlier of the record's
 * broker append time and when this view received it; the time written inside the vote is never
 * used. It serves {@code GET /api/v1/regions} and tells a {@link RegionVoter} which region is primary
 * and whether that primary looks healthy.
 */
public final class RegionView implements RegionVoter.PrimaryView, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RegionView.class);

    private final RegionSettings settings;
    private final Clock clock;
    private final KafkaConsumer<String, byte[]> consumer;
    private final JsonSerde<RegionVote> voteSerde;
    private final JsonSerde<FailoverDecision> decisionSerde;
    private final String votesTopic;
    private final Map<String, Seen> votes = new ConcurrentHashMap<>();
    private final AtomicReference<FailoverDecision> decision = new AtomicReference<>();
    private final Thread thread;
    private final long startedAtMs;
    private volatile boolean running = true;

    /** A region's latest vote as this view saw it. */
    private record Seen(RegionVote vote, long appendedAtMs, long receivedAtMs) {
        long ageMs(long nowMs) {
            return Math.max(0, nowMs - Math.min(appendedAtMs, receivedAtMs));
        }
    }

    /**
     * One configured region as seen now.
     *
     * @param vote its latest vote (null: none seen)
     * @param ageMs how old that vote is (null: none seen)
     * @param fresh whether it is still within the configured maximum age
     */
    public record RegionState(String region, RegionVote vote, Long ageMs, boolean fresh) {}

    /**
     * The whole view at one instant.
     *
     * @param self this instance's region
     * @param regions every configured region, in order
     * @param primary the current primary (the configured initial one before any decision is seen)
     * @param epoch its epoch (0 before any decision is seen)
     * @param decision the latest decision (null: none seen yet)
     */
    public record Snapshot(
            String self, List<RegionState> regions, String primary, long epoch, FailoverDecision decision) {

        /** {@code primary} when this instance's region is the primary, else {@code secondary}. */
        public String role() {
            return self.equals(primary) ? "primary" : "secondary";
        }
    }

    private RegionView(
            RegionSettings settings, Clock clock, KafkaConsumer<String, byte[]> consumer, TopicCatalog topics) {
        this.settings = settings;
        this.clock = clock;
        this.consumer = consumer;
        this.voteSerde = (JsonSerde<RegionVote>) topics.regionHealth.valueSerde();
        this.decisionSerde = (JsonSerde<FailoverDecision>) topics.failoverDecisions.valueSerde();
        this.votesTopic = topics.regionHealth.name();
        this.startedAtMs = clock.millis();
        this.thread = new Thread(this::run, "splitguard-region-view");
        this.thread.setDaemon(true);
    }

    /**
     * Starts reading both region topics from the beginning.
     *
     * @param clientProperties further consumer settings (security)
     */
    public static RegionView start(
            String bootstrapServers,
            Map<String, ?> clientProperties,
            TopicCatalog topics,
            RegionSettings settings,
            Clock clock) {
        Map<String, Object> props = new HashMap<>(clientProperties);
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(
                ConsumerConfig.CLIENT_ID_CONFIG,
                "splitguard-region-view-" + settings.region() + "-" + java.util.UUID.randomUUID());
        // no group: it assigns itself the partitions and commits nothing
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = List.of(
                new TopicPartition(topics.regionHealth.name(), 0),
                new TopicPartition(topics.failoverDecisions.name(), 0));
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        RegionView view = new RegionView(settings, clock, consumer, topics);
        view.thread.start();
        return view;
    }

    private void run() {
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    accept(record);
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            LOG.error("region view stopped reading the region topics", e);
        } finally {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        }
    }

    private void accept(ConsumerRecord<String, byte[]> record) {
        try {
            if (record.topic().equals(votesTopic)) {
                if (record.key() == null || !settings.regions().contains(record.key())) {
                    return;
                }
                RegionVote vote = voteSerde.fromBytes(record.value());
                if (vote == null) {
                    votes.remove(record.key());
                } else if (vote.region().equals(record.key())) {
                    votes.put(record.key(), new Seen(vote, record.timestamp(), clock.millis()));
                }
            } else {
                FailoverDecision d = decisionSerde.fromBytes(record.value());
                if (d != null) {
                    decision.accumulateAndGet(d, (old, now) -> old == null || now.epoch() > old.epoch() ? now : old);
                }
            }
        } catch (SerializationException e) {
            LOG.warn(
                    "skipping an unreadable record at {}-{}@{}: {}",
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    e.getMessage());
        }
    }

    public Snapshot snapshot() {
        long now = clock.millis();
        List<RegionState> states = new ArrayList<>();
        for (String region : settings.regions()) {
            Seen seen = votes.get(region);
            if (seen == null) {
                states.add(new RegionState(region, null, null, false));
            } else {
                long age = seen.ageMs(now);
                states.add(new RegionState(
                        region, seen.vote(), age, age <= settings.voteMaxAge().toMillis()));
            }
        }
        FailoverDecision d = decision.get();
        return new Snapshot(
                settings.region(),
                states,
                d == null ? settings.initialPrimary() : d.primary(),
                d == null ? 0 : d.epoch(),
                d);
    }

    @Override
    public String primary() {
        FailoverDecision d = decision.get();
        return d == null ? settings.initialPrimary() : d.primary();
    }

    @Override
    public long epoch() {
        FailoverDecision d = decision.get();
        return d == null ? 0 : d.epoch();
    }

    /**
     * The primary looks healthy when its own latest vote is fresh and healthy, and unhealthy when that
     * vote is unhealthy, stale or missing. For the first maximum vote age after this view started it
     * has not watched long enough to tell a silent primary from one whose vote it has not read yet, so
     * a missing or stale vote counts as healthy then: a region that has just started never votes a
     * primary out on what it has not seen.
     */
    @Override
    public boolean primaryHealthy() {
        long now = clock.millis();
        long maxAge = settings.voteMaxAge().toMillis();
        Seen seen = votes.get(primary());
        if (seen != null && seen.ageMs(now) <= maxAge) {
            return seen.vote().healthy();
        }
        return now - startedAtMs < maxAge;
    }

    /** Each configured region's latest vote, for diagnostics. */
    public Map<String, RegionVote> latestVotes() {
        Map<String, RegionVote> out = new LinkedHashMap<>();
        for (String region : settings.regions()) {
            Seen seen = votes.get(region);
            if (seen != null) {
                out.put(region, seen.vote());
            }
        }
        return out;
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
