package io.splitguard.gateway.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.splitguard.schemas.topics.TopicCatalog;

/** {@code splitguard.topics.*}: the catalog layout this gateway writes to and reads from. */
@ConfigurationProperties("splitguard.topics")
public class TopicSettings {

    private String prefix = TopicCatalog.DEFAULT_PREFIX;
    private int sessionPartitions = 12;
    private boolean bootstrap = false;

    public String getPrefix() {
        return prefix;
    }

    public void setPrefix(String prefix) {
        this.prefix = prefix;
    }

    public int getSessionPartitions() {
        return sessionPartitions;
    }

    public void setSessionPartitions(int sessionPartitions) {
        this.sessionPartitions = sessionPartitions;
    }

    /** When true the gateway creates missing catalog topics at start-up (local mode). */
    public boolean isBootstrap() {
        return bootstrap;
    }

    public void setBootstrap(boolean bootstrap) {
        this.bootstrap = bootstrap;
    }
}
