package io.splitguard.gateway.config;

import io.micronaut.context.annotation.ConfigurationProperties;

/**
 * {@code splitguard.topics.bootstrap}: whether this gateway creates missing catalog topics at start
 * (local mode). The catalog's layout itself comes from the common settings every service reads
 * ({@code SPLITGUARD_TOPIC_PREFIX}, {@code SPLITGUARD_SESSION_PARTITIONS}, ...), see
 * {@code GatewayBeans#commonSettings}.
 */
@ConfigurationProperties("splitguard.topics")
public class TopicSettings {

    private boolean bootstrap = false;

    /** When true the gateway creates missing catalog topics at start-up (local mode). */
    public boolean isBootstrap() {
        return bootstrap;
    }

    public void setBootstrap(boolean bootstrap) {
        this.bootstrap = bootstrap;
    }
}
