package io.splitguard.gateway.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import java.time.Duration;

/** {@code splitguard.gateway.*}: request limits, idempotency memory and produce timing. */
@ConfigurationProperties("splitguard.gateway")
public class GatewaySettings {

    private int maxBodyBytes = 64 * 1024;
    private Duration dedupWindow = Duration.ofHours(24);
    private long cacheMaxEntries = 200_000;
    private Duration deliveryTimeout = Duration.ofSeconds(10);
    private int lingerMs = 5;
    private Duration maxWait = Duration.ofSeconds(30);
    private int sendThreads = 2;
    private int sendQueue = 4096;
    private int retryAfterSeconds = 1;

    public int getMaxBodyBytes() {
        return maxBodyBytes;
    }

    public void setMaxBodyBytes(int maxBodyBytes) {
        this.maxBodyBytes = maxBodyBytes;
    }

    public Duration getDedupWindow() {
        return dedupWindow;
    }

    public void setDedupWindow(Duration dedupWindow) {
        this.dedupWindow = dedupWindow;
    }

    public long getCacheMaxEntries() {
        return cacheMaxEntries;
    }

    public void setCacheMaxEntries(long cacheMaxEntries) {
        this.cacheMaxEntries = cacheMaxEntries;
    }

    public Duration getDeliveryTimeout() {
        return deliveryTimeout;
    }

    public void setDeliveryTimeout(Duration deliveryTimeout) {
        this.deliveryTimeout = deliveryTimeout;
    }

    public int getLingerMs() {
        return lingerMs;
    }

    public void setLingerMs(int lingerMs) {
        this.lingerMs = lingerMs;
    }

    /** Upper bound for {@code Prefer: wait=N}. */
    public Duration getMaxWait() {
        return maxWait;
    }

    public void setMaxWait(Duration maxWait) {
        this.maxWait = maxWait;
    }

    public int getSendThreads() {
        return sendThreads;
    }

    public void setSendThreads(int sendThreads) {
        this.sendThreads = sendThreads;
    }

    public int getSendQueue() {
        return sendQueue;
    }

    public void setSendQueue(int sendQueue) {
        this.sendQueue = sendQueue;
    }

    public int getRetryAfterSeconds() {
        return retryAfterSeconds;
    }

    public void setRetryAfterSeconds(int retryAfterSeconds) {
        this.retryAfterSeconds = retryAfterSeconds;
    }
}
