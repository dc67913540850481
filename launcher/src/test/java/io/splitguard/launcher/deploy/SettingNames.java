package io.splitguard.launcher.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.splitguard.launcher.ConfigurationDoc;
import io.splitguard.schemas.json.Json;
import io.splitguard.sink.config.SinkConfig;
import io.splitguard.topology.config.DedupConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Which environment names each service understands, taken from the definitions themselves: the
 * sections of the generated configuration reference ({@link ConfigurationDoc#render()}: common,
 * topology, sink, region coordinator, gateway), the pass-through prefixes with the Kafka client or Streams setting they
 * must name, and for the gateway Micronaut's own properties (from the configuration metadata of the
 * jars on the class path).
 */
final class SettingNames {

    private static final Pattern ROW = Pattern.compile("^\\| `([A-Z0-9_]+)` \\|", Pattern.MULTILINE);
    private static final SettingNames INSTANCE = load();

    private final Map<ServiceKind, Set<String>> names;
    private final List<Pattern> micronautNames;

    private SettingNames(Map<ServiceKind, Set<String>> names, List<Pattern> micronautNames) {
        this.names = names;
        this.micronautNames = micronautNames;
    }

    static SettingNames get() {
        return INSTANCE;
    }

    /** The names the service defines (not the pass-through or framework ones). */
    Set<String> defined(ServiceKind kind) {
        return names.get(kind);
    }

    /**
     * Why {@code name} is not a setting of {@code kind}, or empty when it is. Only the project's name
     * spaces are judged ({@code SPLITGUARD_*}, {@code DATABASE_*}, and for the gateway {@code
     * MICRONAUT_*}); other variables (JAVA_TOOL_OPTIONS, POD_NAME) are the container's business.
     */
    Optional<String> problem(ServiceKind kind, String name) {
        boolean ours = name.startsWith("SPLITGUARD_") || name.startsWith("DATABASE_") || name.startsWith("MICRONAUT_");
        if (!ours || names.get(kind).contains(name)) {
            return Optional.empty();
        }
        if ((kind == ServiceKind.TOPOLOGY || kind == ServiceKind.CHECKPOINT)
                && name.startsWith(DedupConfig.STREAMS_PREFIX)) {
            String property = property(name, DedupConfig.STREAMS_PREFIX);
            return streamsSettingExists(property)
                    ? Optional.empty()
                    : Optional.of(name + " passes '" + property + "' to Kafka Streams, which has no such setting");
        }
        if (kind == ServiceKind.SINK && name.startsWith(SinkConfig.ENV_CONSUMER_PREFIX)) {
            String property = property(name, SinkConfig.ENV_CONSUMER_PREFIX);
            return ConsumerConfig.configNames().contains(property)
                    ? Optional.empty()
                    : Optional.of(
                            name + " passes '" + property + "' to the sink's consumer, which has no such setting");
        }
        if (kind == ServiceKind.SINK && name.startsWith(SinkConfig.ENV_PRODUCER_PREFIX)) {
            String property = property(name, SinkConfig.ENV_PRODUCER_PREFIX);
            return ProducerConfig.configNames().contains(property)
                    ? Optional.empty()
                    : Optional.of(
                            name + " passes '" + property + "' to the sink's producer, which has no such setting");
        }
        if (kind == ServiceKind.GATEWAY && name.startsWith("MICRONAUT_")) {
            return micronautNames.stream().anyMatch(p -> p.matcher(name).matches())
                    ? Optional.empty()
                    : Optional.of(name + " is no Micronaut property the gateway's jars define");
        }
        return Optional.of(name + " is not a setting of " + kind.module);
    }

    private static String property(String name, String prefix) {
        return name.substring(prefix.length()).toLowerCase(Locale.ROOT).replace('_', '.');
    }

    private static boolean streamsSettingExists(String property) {
        if (StreamsConfig.configDef().names().contains(property)) {
            return true;
        }
        for (String prefix : new String[] {"main.consumer.", "restore.consumer.", "global.consumer.", "consumer."}) {
            if (property.startsWith(prefix)) {
                return ConsumerConfig.configNames().contains(property.substring(prefix.length()));
            }
        }
        if (property.startsWith("producer.")) {
            return ProducerConfig.configNames().contains(property.substring("producer.".length()));
        }
        if (property.startsWith("admin.")) {
            return AdminClientConfig.configNames().contains(property.substring("admin.".length()));
        }
        return false;
    }

    private static SettingNames load() {
        Map<String, Set<String>> sections = new LinkedHashMap<>();
        for (String section : ConfigurationDoc.render().split("\n## ")) {
            String title = section.substring(0, section.indexOf('\n')).trim();
            Set<String> rows = new HashSet<>();
            Matcher m = ROW.matcher(section);
            while (m.find()) {
                rows.add(m.group(1));
            }
            sections.put(title, rows);
        }
        Set<String> common = section(sections, "Common");
        // the health settings are read by every service that serves GET /health
        Set<String> health = section(sections, "Health");
        Map<ServiceKind, Set<String>> names = new HashMap<>();
        names.put(ServiceKind.TOPOLOGY, union(union(common, health), section(sections, "Dedup topology")));
        names.put(ServiceKind.CHECKPOINT, union(union(common, health), section(sections, "Checkpoint topology")));
        names.put(ServiceKind.SINK, union(union(common, health), section(sections, "Postgres sink")));
        names.put(ServiceKind.COORDINATOR, union(union(common, health), section(sections, "Region coordinator")));
        names.put(ServiceKind.GATEWAY, union(union(common, health), section(sections, "Ingest gateway")));
        // the CLI reads the catalog and, for the database commands, the sink's settings
        names.put(ServiceKind.ADMIN, union(common, section(sections, "Postgres sink")));
        return new SettingNames(names, micronautProperties());
    }

    private static Set<String> section(Map<String, Set<String>> sections, String titleStart) {
        return sections.entrySet().stream()
                .filter(e -> e.getKey().startsWith(titleStart))
                .map(Map.Entry::getValue)
                .findFirst()
                .orElseThrow(() -> new IllegalStateException(
                        "docs/CONFIGURATION.md as rendered has no section '" + titleStart + "'"));
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new HashSet<>(a);
        all.addAll(b);
        return Collections.unmodifiableSet(all);
    }

    /**
     * Every {@code micronaut.*} property in the configuration metadata on the class path, as an
     * environment-name pattern ({@code micronaut.security.token.jwt.signatures.secret.*.secret}: the
     * {@code *} is one segment, the name of the signature configuration).
     */
    private static List<Pattern> micronautProperties() {
        Set<String> patterns = new HashSet<>();
        try {
            for (URL url : Collections.list(
                    SettingNames.class.getClassLoader().getResources("META-INF/spring-configuration-metadata.json"))) {
                JsonNode metadata;
                try (InputStream in = url.openStream()) {
                    metadata = Json.mapper().readTree(in);
                }
                for (JsonNode property : metadata.path("properties")) {
                    String name = property.path("name").asText();
                    if (name.startsWith("micronaut.")) {
                        String env =
                                name.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
                        patterns.add(Pattern.quote(env).replace("*", "\\E[A-Z0-9]+\\Q"));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (patterns.isEmpty()) {
            throw new IllegalStateException("no Micronaut configuration metadata on the class path");
        }
        return patterns.stream().map(Pattern::compile).toList();
    }
}
