package io.splitguard.launcher.deploy;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The metric names a Prometheus text exposition holds. */
final class PrometheusText {

    private static final Pattern SAMPLE = Pattern.compile("(?m)^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{|\\s)");
    private static final Pattern HISTOGRAM =
            Pattern.compile("(?m)^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (histogram|summary)$");
    private static final Pattern SUFFIX = Pattern.compile("(.*)_(bucket|count|sum)$");

    private PrometheusText() {}

    /** The names of the samples (series) in {@code text}, as a query names them. */
    static Set<String> sampleNames(String text) {
        Set<String> names = new TreeSet<>();
        Matcher m = SAMPLE.matcher(text);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /**
     * Whether a query of {@code name} finds series in {@code text}: a sample of that name, or the
     * {@code _bucket}/{@code _count}/{@code _sum} series of a histogram or summary family, which a
     * scrape holds only once something was observed.
     */
    static boolean has(String text, String name) {
        if (sampleNames(text).contains(name)) {
            return true;
        }
        Matcher suffix = SUFFIX.matcher(name);
        if (!suffix.matches()) {
            return false;
        }
        Matcher family = HISTOGRAM.matcher(text);
        while (family.find()) {
            if (family.group(1).equals(suffix.group(1))) {
                return true;
            }
        }
        return false;
    }
}
