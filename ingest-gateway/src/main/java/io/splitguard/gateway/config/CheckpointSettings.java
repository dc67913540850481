package io.splitguard.gateway.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.splitguard.schemas.checkpoint.TransientVariables;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code splitguard.gateway.checkpoint.*}: flow checkpoints. Environment: {@code
 * SPLITGUARD_GATEWAY_CHECKPOINT_EXCLUDED_VARIABLES} (comma-separated).
 */
@ConfigurationProperties("splitguard.gateway.checkpoint")
public class CheckpointSettings {

    private List<String> excludedVariables = new ArrayList<>(TransientVariables.DEFAULTS);

    /**
     * Top-level checkpoint variables dropped before a checkpoint is produced (transient IVR and UI
     * state); exact names. Default: {@link TransientVariables#DEFAULTS}. An empty list keeps everything.
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
