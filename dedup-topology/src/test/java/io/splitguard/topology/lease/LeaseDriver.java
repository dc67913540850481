package io.splitguard.topology.lease;

import io.splitguard.schemas.config.CommonSettings;
import io.splitguard.schemas.json.JsonSerde;
import io.splitguard.schemas.model.AuditRecord;
import io.splitguard.schemas.model.LeaseCommand;
import io.splitguard.schemas.model.LeaseDecision;
import io.splitguard.schemas.model.LeaseState;
import io.splitguard.schemas.model.MutationRequest;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.topology.DedupTopology;
import io.splitguard.topology.config.DedupConfig;
import io.splitguard.topology.processor.DedupNodes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;

/**
 * The dedup topology in a {@link TopologyTestDriver}, driven through lease-commands, with the
 * instance's wall clock under the test's control. Every command is appended at the next offset of the
 * driver's single partition, so the offsets piped so far are the log's end.
 */
final class LeaseDriver implements AutoCloseable {

    static final String APPLICATION_ID = "lease-test";
    static final String CHANGELOG = APPLICATION_ID + "-" + DedupNodes.LEASE_STORE + "-changelog";

    final TopicCatalog topics =
            TopicCatalog.builder().prefix("test.").sessionPartitions(4).build();
    final TopologyTestDriver driver;
    private final TestInputTopic<String, LeaseCommand> commands;
    private final TestInputTopic<String, byte[]> raw;
    private final TestInputTopic<String, MutationRequest> mutations;
    final TestOutputTopic<String, LeaseDecision> decisions;
    final TestOutputTopic<String, AuditRecord> audit;
    final TestOutputTopic<byte[], byte[]> deadLetters;
    final TestOutputTopic<String, byte[]> changelog;
    private Instant wallClock;
    private long offsets;

    LeaseDriver(Path stateDir, Instant start, Map<String, String> settings) {
        Map<String, String> env = new HashMap<>(settings);
        env.put(DedupConfig.APPLICATION_ID, APPLICATION_ID);
        env.put(CommonSettings.BOOTSTRAP_SERVERS, "unused:9092");
        env.put(DedupConfig.STATE_DIR, stateDir.toString());
        DedupConfig config = DedupConfig.fromEnv(env, topics.deadLetters.name());
        driver = new TopologyTestDriver(DedupTopology.build(config, topics), config.streamsProperties(), start);
        wallClock = start;
        commands = driver.createInputTopic(
                topics.leaseCommands.name(),
                Serdes.String().serializer(),
                topics.leaseCommands.valueSerde().serializer());
        raw = driver.createInputTopic(
                topics.leaseCommands.name(),
                Serdes.String().serializer(),
                Serdes.ByteArray().serializer());
        mutations = driver.createInputTopic(
                topics.mutationsIn.name(),
                Serdes.String().serializer(),
                topics.mutationsIn.valueSerde().serializer());
        decisions = driver.createOutputTopic(
                topics.leaseDecisions.name(),
                Serdes.String().deserializer(),
                topics.leaseDecisions.valueSerde().deserializer());
        audit = driver.createOutputTopic(
                topics.audit.name(),
                Serdes.String().deserializer(),
                topics.audit.valueSerde().deserializer());
        deadLetters = driver.createOutputTopic(
                topics.deadLetters.name(),
                Serdes.ByteArray().deserializer(),
                Serdes.ByteArray().deserializer());
        changelog = driver.createOutputTopic(
                CHANGELOG, Serdes.String().deserializer(), Serdes.ByteArray().deserializer());
    }

    Instant now() {
        return wallClock;
    }

    /** Moves the instance's wall clock forward by {@code step}; wall-clock punctuations run. */
    void advance(Duration step) {
        driver.advanceWallClockTime(step);
        wallClock = wallClock.plus(step);
    }

    /** Delivers a CRM update for its session (the resource) now; its verdict goes to {@link #audit}. */
    void write(MutationRequest request) {
        mutations.pipeInput(new TestRecord<>(request.sessionId(), request, wallClock));
    }

    /** The offset the next command gets. */
    long nextOffset() {
        return offsets;
    }

    /** Sends {@code command} (stamped by a gateway whose clock reads {@code received_at}) and returns its decision. */
    LeaseDecision send(LeaseCommand command) {
        commands.pipeInput(new TestRecord<>(command.resourceId(), command, command.receivedAt()));
        offsets++;
        List<LeaseDecision> out = decisions.readValuesToList();
        if (out.size() != 1) {
            throw new AssertionError("expected one decision, got " + out);
        }
        return out.get(0);
    }

    void sendRaw(String key, byte[] value) {
        raw.pipeInput(key, value);
        offsets++;
    }

    void sendRaw(String key, String value) {
        sendRaw(key, value.getBytes(StandardCharsets.UTF_8));
    }

    LeaseDecision acquire(String resource, String region, Duration ttl, String correlationId) {
        return send(LeaseCommand.acquire(
                resource,
                region,
                ttl,
                "crm_update",
                correlationId,
                UUID.randomUUID().toString(),
                now()));
    }

    LeaseDecision heartbeat(String resource, String lockToken) {
        return send(
                LeaseCommand.heartbeat(resource, lockToken, UUID.randomUUID().toString(), now()));
    }

    LeaseDecision release(String resource, String lockToken) {
        return send(LeaseCommand.release(resource, lockToken, UUID.randomUUID().toString(), now()));
    }

    LeaseDecision describe(String resource) {
        return send(LeaseCommand.describe(resource, UUID.randomUUID().toString(), now()));
    }

    /**
     * Appends commands of an unrelated resource until the next offset is {@code offset}: a new driver's
     * partition starts at 0, while the real log keeps its offsets across restarts and wiped stores.
     */
    void fillLogTo(long offset) {
        while (offsets < offset) {
            heartbeat("unrelated-resource", "no-such-token");
        }
        audit.readValuesToList();
    }

    KeyValueStore<String, LeaseState> store() {
        return driver.getKeyValueStore(DedupNodes.LEASE_STORE);
    }

    /** How many entries the lease store holds (counted: RocksDB's estimate is not exact). */
    long entries() {
        long n = 0;
        try (var it = store().all()) {
            while (it.hasNext()) {
                it.next();
                n++;
            }
        }
        return n;
    }

    /** Everything the lease store's changelog received, in order (a null value is a tombstone). */
    List<KeyValue<String, byte[]>> changelogRecords() {
        return changelog.readKeyValuesToList();
    }

    /** Restores the lease store from {@code records}, as Streams does from the changelog after a restart. */
    void restore(List<KeyValue<String, byte[]>> records) {
        JsonSerde<LeaseState> serde = JsonSerde.unchecked(LeaseState.class);
        KeyValueStore<String, LeaseState> store = store();
        for (KeyValue<String, byte[]> record : records) {
            if (record.value == null) {
                store.delete(record.key);
            } else {
                store.put(record.key, serde.fromBytes(record.value));
            }
        }
        changelog.readKeyValuesToList();
    }

    @Override
    public void close() {
        driver.close();
    }
}
