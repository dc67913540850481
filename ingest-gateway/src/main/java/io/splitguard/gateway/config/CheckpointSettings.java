package io.splitguard.gateway.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.splitguard.schemas.checkpoint.TransientVariables;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code splitguard.gateway.checkpoint.*}: flow checkpoints. Environment: {@code
 * SPLITGUARD_GATEWAY_CHECKPOINT_EXCLUDED_VARIABLES}, {@code SPLITGUARD_GATEWAY_CHECKPOINT_QUERY_URL}, {@code
 * SPLITGUARD_GATEWAY_CHECKPOINT_QUERY_TIMEOUT}, {@code SPLITGUARD_GATEWAY_CHECKPOINT_RETIRED_FLOW_VERSIONS}
 * (lists comma-separated).
 */
@ConfigurationProperties("splitguard.gateway.checkpoint")
public class CheckpointSettings {

    private List<String> excludedVariables = new ArrayList<>(TransientVariables.DEFAULTS);
    private String queryUrl = "";
    private Duration queryTimeout = Duration.ofSeconds(3);
    private List<String> retiredFlowVersions = new ArrayList<>();

    /**
     * Base URL of a checkpoint topology instance's management port (e.g. {@code http://checkpoint:8083}),
     * or several separated by commas; any instance forwards a read to the one owning the session. Reads
     * rotate over the list and skip an instance that cannot be connected to. Empty: reads answer 503.
     */
    public String getQueryUrl() {
        return queryUrl;
    }

    /** {@link #getQueryUrl()} split at commas, blanks dropped. */
    public List<String> queryUrls() {
        return Arrays.stream(queryUrl.split(","))
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .toList();
    }

    public void setQueryUrl(String queryUrl) {
        this.queryUrl = queryUrl == null ? "" : queryUrl.trim();
    }

    /**
     * The longest a read may take (connect, the topology's wait for a write's position, the answer);
     * past it the answer is 503.
     */
    public Duration getQueryTimeout() {
        return queryTimeout;
    }

    public void setQueryTimeout(Duration queryTimeout) {
        this.queryTimeout = queryTimeout;
    }

    /**
     * Flow versions whose checkpoints are never restored: a read of one answers {@code restore: false},
     * {@code flow_version_retired}, fallback {@code route_to_agent}. Exact names.
     */
    public List<String> getRetiredFlowVersions() {
        return retiredFlowVersions;
    }

    public void setRetiredFlowVersions(List<String> retiredFlowVersions) {
        this.retiredFlowVersions = retiredFlowVersions == null
                ? new ArrayList<>()
                : retiredFlowVersions.stream()
                        .map(String::trim)
                        .filter(s -> !s.isEmpty())
                        .toList();
    }

    /**
     * Top-level checkpoint variables dropped before a checkpoint is produced (transient IVR and UI
     * state); exact names. Default: the transient fields of the schemas module (TransientVariables). An empty list keeps everything.
     */
    public List<String> getExcludedVariables() {
        return excludedVariables;
    }

    public void setExcludedVariables(List<String> excludedVariables) {
        this.excludedVariables = excludedVariables == null
                ? new ArrayList<>()
                : excludedVariables.stream()
                        .map(String::trim)
                        .filter(s -> !s.isEmpty())
                        .toList();
    }
}
