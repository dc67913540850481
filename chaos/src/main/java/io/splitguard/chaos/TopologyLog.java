package io.splitguard.chaos;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a dedup topology instance's log says between two offsets: disk-full errors, stream threads
 * replaced after a failure ({@code DedupStreams}' uncaught-exception handler), state changes of the
 * Streams client, records dead-lettered, and the distinct error messages.
 */
record TopologyLog(long noSpaceLines, long failures, long deadLettered, List<String> transitions, List<String> errors) {

    static final String THREAD_REPLACED = "stream thread failed; replacing it";
    private static final Pattern TRANSITION = Pattern.compile("dedup topology (\\w+) -> (\\w+)");
    private static final int MAX_ERRORS = 4;

    /** Reads {@code log} from byte {@code from} to byte {@code to}; an unreadable log reads as empty. */
    static TopologyLog read(Path log, long from, long to) {
        String text;
        try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
            long end = Math.min(to, file.length());
            byte[] bytes = new byte[(int) Math.max(0, end - from)];
            file.seek(from);
            file.readFully(bytes);
            text = new String(bytes, StandardCharsets.UTF_8);
        } catch (IOException e) {
            text = "";
        }
        return parse(text);
    }

    static TopologyLog parse(String text) {
        long noSpace = 0;
        long failures = 0;
        long deadLettered = 0;
        List<String> transitions = new ArrayList<>();
        Set<String> errors = new LinkedHashSet<>();
        for (String line : text.split("\n")) {
            if (line.toLowerCase(java.util.Locale.ROOT).contains("no space left on device")) {
                noSpace++;
            }
            if (line.contains(THREAD_REPLACED)) {
                failures++;
            }
            if (line.contains("dead-lettering record")) {
                deadLettered++;
            }
            Matcher m = TRANSITION.matcher(line);
            if (m.find()) {
                transitions.add(m.group(2));
            }
            int level = line.indexOf(" ERROR ");
            if (level >= 0 && errors.size() < MAX_ERRORS) {
                int message = line.indexOf(" - ", level);
                String text1 = message >= 0 ? line.substring(message + 3) : line.substring(level + 7);
                errors.add(text1.length() > 200 ? text1.substring(0, 200) + "..." : text1);
            }
        }
        return new TopologyLog(noSpace, failures, deadLettered, List.copyOf(transitions), List.copyOf(errors));
    }

    /** The state the client last changed to, or "" when it did not change. */
    String lastState() {
        return transitions.isEmpty() ? "" : transitions.get(transitions.size() - 1);
    }

    String describe() {
        return noSpaceLines + " 'No space left on device' lines, " + failures + " stream threads replaced, "
                + deadLettered + " records dead-lettered, state changes "
                + (transitions.isEmpty() ? "none" : String.join("->", transitions))
                + (errors.isEmpty() ? ", no ERROR line" : ", errors " + errors);
    }
}
