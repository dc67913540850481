package io.splitguard.launcher.deploy;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The stages of deploy/docker/Dockerfile, each with the main class its ENTRYPOINT runs. */
final class Dockerfiles {

    private static final Pattern FROM = Pattern.compile("(?im)^FROM\\s+\\S+\\s+AS\\s+(\\S+)\\s*$");
    private static final Pattern ENTRYPOINT = Pattern.compile("(?m)^ENTRYPOINT\\s+\\[(.*)]\\s*$");
    private static final Pattern ENV = Pattern.compile("(?m)^ENV\\s+([A-Za-z0-9_]+)[= ]");

    record Stage(String name, String text, String mainClass) {

        /** Names set by ENV in this stage. */
        java.util.Set<String> envNames() {
            java.util.Set<String> names = new java.util.HashSet<>();
            Matcher m = ENV.matcher(text);
            while (m.find()) {
                names.add(m.group(1));
            }
            return names;
        }
    }

    private Dockerfiles() {}

    static Map<String, Stage> stages(String dockerfile) {
        Map<String, Stage> stages = new LinkedHashMap<>();
        Matcher from = FROM.matcher(dockerfile);
        String name = null;
        int start = 0;
        while (from.find()) {
            if (name != null) {
                stages.put(name, stage(name, dockerfile.substring(start, from.start())));
            }
            name = from.group(1);
            start = from.start();
        }
        if (name != null) {
            stages.put(name, stage(name, dockerfile.substring(start)));
        }
        return stages;
    }

    private static Stage stage(String name, String text) {
        Matcher entrypoint = ENTRYPOINT.matcher(text);
        String main = null;
        if (entrypoint.find()) {
            String[] parts = entrypoint.group(1).split(",");
            main = parts[parts.length - 1].trim().replace("\"", "");
        }
        return new Stage(name, text, main);
    }
}
