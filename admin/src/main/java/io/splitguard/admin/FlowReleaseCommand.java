package io.splitguard.admin;

import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.model.StoredCheckpoint;
import io.splitguard.schemas.topics.TopicCatalog;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Before a flow release that asks for another checkpoint schema version: can the checkpoints stored at
 * the old version be served to it? The migration table applied on read decides; this applies it to
 * every live checkpoint in the compacted checkpoints topic.
 */
@Command(
        name = "flow-release",
        mixinStandardHelpOptions = true,
        description = "Checks for a flow release: whether stored checkpoints can be served at a new schema version.",
        subcommands = {FlowReleaseCommand.Check.class})
final class FlowReleaseCommand {

    @Command(
            name = "check",
            mixinStandardHelpOptions = true,
            description = {
                "Applies the checkpoint migration table from --from-schema to --to-schema to every live checkpoint"
                        + " of --from-schema in the checkpoints topic (read to its end offsets taken at start; the"
                        + " latest value per session; tombstoned and expired ones are not counted) and reports how"
                        + " many migrate and which cannot, by variable.",
                "With --static reads nothing: only whether the table has a path and its operations.",
                "Exit code 0 when every checkpoint can be served, 1 when some cannot or there is no path, 3 when"
                        + " the topic cannot be read."
            })
    static final class Check extends AdminCommand implements Callable<Integer> {

        @Option(names = "--from-schema", required = true, paramLabel = "N", description = "The stored version.")
        int fromSchema;

        @Option(
                names = "--to-schema",
                required = true,
                paramLabel = "M",
                description = "The version the released flow asks for.")
        int toSchema;

        @Option(
                names = "--flow-version",
                paramLabel = "V",
                description = "Count only checkpoints stored by these flow versions (repeatable; default all).")
        List<String> flowVersions = new ArrayList<>();

        @Option(names = "--static", description = "Only the migration table: no broker is contacted.")
        boolean staticOnly;

        @Option(
                names = "--max-sessions",
                paramLabel = "K",
                defaultValue = "10",
                description = "Session ids listed per cause of failure (default ${DEFAULT-VALUE}).")
        int maxSessions;

        @Option(names = "--json", description = "Print one JSON object instead of text.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            SplitGuardAdmin root = (SplitGuardAdmin) spec.root().userObject();
            ReleaseCheck check = new ReleaseCheck(root.migrations(), fromSchema, toSchema, flowVersions);
            ReleaseCheck.Report report;
            String source;
            if (staticOnly) {
                report = check.pathOnly();
                source = null;
            } else {
                AdminSettings settings = settings();
                TopicCatalog catalog = settings.catalog();
                source = catalog.checkpoints.name();
                // expiry on this tool's clock, taken before reading: a checkpoint live now may expire meanwhile
                Instant now = Instant.now();
                Latest latest = read(settings, catalog, check);
                report = check.report(latest.checkpoints.values(), now, Math.max(0, maxSessions), latest.unreadable);
            }
            if (json) {
                out().println(Json.mapper()
                        .writerWithDefaultPrettyPrinter()
                        .writeValueAsString(ReleaseCheck.json(report, !staticOnly)));
            } else {
                ReleaseCheck.print(report, !staticOnly, source, out());
            }
            if (staticOnly) {
                return report.pathExists() ? SplitGuardAdmin.OK : SplitGuardAdmin.REFUSED;
            }
            return report.servable() ? SplitGuardAdmin.OK : SplitGuardAdmin.REFUSED;
        }
    }

    /** Each concerned session's latest checkpoint, and how many sessions' latest record could not be read. */
    private record Latest(Map<String, StoredCheckpoint> checkpoints, int unreadable) {}

    /**
     * The compacted topic replayed into its latest value per session: a tombstone or a later checkpoint the
     * check does not concern (another schema or flow version) removes the session, so only the sessions
     * whose latest checkpoint is concerned are kept in memory.
     */
    private static Latest read(AdminSettings settings, TopicCatalog catalog, ReleaseCheck check) {
        String topic = catalog.checkpoints.name();
        List<TopicPartition> partitions;
        try (KafkaConsumer<byte[], byte[]> consumer = settings.consumer(1)) {
            partitions = Offsets.partitions(consumer, topic);
        }
        Deserializer<StoredCheckpoint> values = catalog.checkpoints.valueSerde().deserializer();
        Map<String, StoredCheckpoint> latest = new HashMap<>();
        java.util.Set<String> unreadable = new java.util.HashSet<>();
        TopicReader.readAll(settings, partitions, r -> {
            if (r.key() == null) {
                return;
            }
            String session = new String(r.key(), StandardCharsets.UTF_8);
            latest.remove(session);
            unreadable.remove(session);
            if (r.value() == null) {
                return;
            }
            StoredCheckpoint c;
            try {
                c = values.deserialize(topic, r.value());
            } catch (RuntimeException e) {
                unreadable.add(session);
                return;
            }
            if (c != null && check.concerns(c)) {
                latest.put(session, c);
            }
        });
        return new Latest(latest, unreadable.size());
    }
}
