package io.splitguard.gateway.logs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** Checks captured log output: one JSON object per line, and none of the given secrets anywhere. */
public final class LogLeakCheck {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private LogLeakCheck() {}

    /** What is wrong with {@code output}; empty when every line is a JSON object and no secret appears. */
    public static List<String> problems(String output, Collection<String> secrets) {
        List<String> problems = new ArrayList<>();
        for (String secret : secrets) {
            if (secret == null || secret.isEmpty()) {
                throw new IllegalArgumentException("an empty secret would match everything");
            }
            int at = output.indexOf(secret);
            if (at >= 0) {
                problems.add("leaks a secret at offset " + at + ": " + excerpt(output, at));
            }
        }
        int number = 0;
        for (String line : output.split("\n", -1)) {
            number++;
            if (line.isEmpty()) {
                continue;
            }
            try {
                JsonNode node = MAPPER.readTree(line);
                if (node == null || !node.isObject()) {
                    problems.add("line " + number + " is not a JSON object");
                }
            } catch (IOException e) {
                problems.add("line " + number + " is not JSON: " + excerpt(line, 0));
            }
        }
        return problems;
    }

    /** The parsed lines of {@code output}; call after {@link #problems} found none. */
    public static List<JsonNode> lines(String output) {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : output.split("\n")) {
            if (!line.isEmpty()) {
                try {
                    lines.add(MAPPER.readTree(line));
                } catch (IOException e) {
                    throw new IllegalArgumentException("not JSON: " + line, e);
                }
            }
        }
        return lines;
    }

    private static String excerpt(String text, int at) {
        return text.substring(Math.max(0, at - 40), Math.min(text.length(), at + 40))
                .replace('\n', ' ');
    }
}
