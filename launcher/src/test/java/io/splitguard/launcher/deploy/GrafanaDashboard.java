package io.splitguard.launcher.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.splitguard.schemas.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metrics a Grafana dashboard queries, by service: each panel belongs to the service whose row
 * it sits under (rows are titled after the service's module, e.g. "dedup-topology"), and its
 * targets' PromQL expressions name the metrics.
 */
final class GrafanaDashboard {

    static final Path FILE = ComposeFileTest.REPOSITORY.resolve("deploy/grafana/splitguard.json");

    private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Set<String> KEYWORDS = Set.of(
            "by",
            "without",
            "on",
            "ignoring",
            "group_left",
            "group_right",
            "offset",
            "bool",
            "and",
            "or",
            "unless",
            "inf",
            "nan");

    private GrafanaDashboard() {}

    static Map<ServiceKind, Set<String>> metricsByService(String json) {
        JsonNode dashboard;
        try {
            dashboard = Json.mapper().readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException("the dashboard is not JSON", e);
        }
        Map<ServiceKind, Set<String>> metrics = new EnumMap<>(ServiceKind.class);
        ServiceKind row = null;
        for (JsonNode panel : dashboard.path("panels")) {
            if ("row".equals(panel.path("type").asText())) {
                row = rowService(panel.path("title").asText());
                // a collapsed row keeps its panels inside it
                for (JsonNode inner : panel.path("panels")) {
                    add(metrics, row, inner);
                }
                continue;
            }
            add(metrics, row, panel);
        }
        return metrics;
    }

    private static void add(Map<ServiceKind, Set<String>> metrics, ServiceKind row, JsonNode panel) {
        if (row == null) {
            throw new IllegalArgumentException("panel '" + panel.path("title").asText() + "' is under no service row");
        }
        List<String> expressions = new ArrayList<>();
        panel.path("targets").forEach(t -> expressions.add(t.path("expr").asText()));
        if (expressions.isEmpty()) {
            throw new IllegalArgumentException("panel '" + panel.path("title").asText() + "' queries nothing");
        }
        for (String expression : expressions) {
            metrics.computeIfAbsent(row, k -> new TreeSet<>()).addAll(metricNames(expression));
        }
    }

    private static ServiceKind rowService(String title) {
        for (ServiceKind kind : ServiceKind.values()) {
            if (title.contains(kind.module)) {
                return kind;
            }
        }
        throw new IllegalArgumentException("row '" + title + "' names no service module");
    }

    /**
     * The metric names of a PromQL expression: identifiers that are not functions (followed by a
     * parenthesis), keywords, label names inside braces or grouping clauses, durations or Grafana
     * variables.
     */
    static Set<String> metricNames(String expression) {
        String stripped = expression
                .replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"") // string literals
                .replaceAll("\\{[^}]*}", " ") // label matchers
                .replaceAll("\\[[^]]*]", " ") // ranges
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ")
                .replaceAll("\\$\\{?[A-Za-z0-9_]+}?", " "); // Grafana variables
        Set<String> names = new TreeSet<>();
        Matcher m = IDENTIFIER.matcher(stripped);
        while (m.find()) {
            String name = m.group();
            int after = m.end();
            while (after < stripped.length() && Character.isWhitespace(stripped.charAt(after))) {
                after++;
            }
            boolean function = after < stripped.length() && stripped.charAt(after) == '(';
            boolean number = m.start() > 0 && Character.isDigit(stripped.charAt(m.start() - 1));
            if (!function && !number && !KEYWORDS.contains(name.toLowerCase(java.util.Locale.ROOT))) {
                names.add(name);
            }
        }
        return names;
    }

    static String read() {
        try {
            return Files.readString(FILE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
