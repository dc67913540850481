package io.splitguard.gateway.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import java.time.Duration;

/** {@code splitguard.gateway.*}: request limits, idempotency memory and produce timing. */
@ConfigurationProperties("splitguard.gateway")
public class GatewaySettings {

    private int maxBodyBytes = 64 * 1024;
    private long cacheMaxEntries = 200_000;
    private Duration deliveryTimeout = Duration.ofSeconds(10);
    private int lingerMs = 5;
    private Duration maxWait = Duration.ofSeconds(30);
    private int sendThreads = 2;
    private int sendQueue = 4096;
    private int maxInFlight = 8192;
    private int retryAfterSeconds = 1;
    private Duration sendHandoffTimeout = Duration.ofMillis(500);
    private Duration verdictWait = Duration.ofSeconds(3);
    private long filterExpectedKeys = 2_000_000;

    /**
     * How long a request may wait to be handed to the Kafka producer (send queue, metadata, buffer
     * space) before it is answered 503 with nothing sent. Also the producer's {@code max.block.ms}.
     */
    public Duration getSendHandoffTimeout() {
        return sendHandoffTimeout;
    }

    public void setSendHandoffTimeout(Duration sendHandoffTimeout) {
        this.sendHandoffTimeout = sendHandoffTimeout;
    }

    /**
     * How long a first-looking delivery whose key may have been seen (its answer is no longer cached
     * here) waits for the topology's verdict before answering; past it the answer is 200 accepted.
     */
    public Duration getVerdictWait() {
        return verdictWait;
    }

    public void setVerdictWait(Duration verdictWait) {
        this.verdictWait = verdictWait;
    }

    /** Keys expected per dedup window, cluster-wide: sizes the membership filter (about 1.2 bytes a key). */
    public long getFilterExpectedKeys() {
        return filterExpectedKeys;
    }

    public void setFilterExpectedKeys(long filterExpectedKeys) {
        this.filterExpectedKeys = filterExpectedKeys;
    }

    /** Largest request body accepted; larger ones are answered 413 before they are parsed. */
    public int getMaxBodyBytes() {
        return maxBodyBytes;
    }

    public void setMaxBodyBytes(int maxBodyBytes) {
        this.maxBodyBytes = maxBodyBytes;
    }

    /** Completed answers kept in memory for replays; answers never depend on it, only their cost does. */
    public long getCacheMaxEntries() {
        return cacheMaxEntries;
    }

    public void setCacheMaxEntries(long cacheMaxEntries) {
        this.cacheMaxEntries = cacheMaxEntries;
    }

    /** The producer's delivery timeout; a send not acknowledged by then is answered 503 with outcome unknown. */
    public Duration getDeliveryTimeout() {
        return deliveryTimeout;
    }

    public void setDeliveryTimeout(Duration deliveryTimeout) {
        this.deliveryTimeout = deliveryTimeout;
    }

    /** The producer's {@code linger.ms}: how long a send may wait to share a batch. */
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

    /** Threads handing sends to the Kafka producer (never the HTTP event loop). */
    public int getSendThreads() {
        return sendThreads;
    }

    public void setSendThreads(int sendThreads) {
        this.sendThreads = sendThreads;
    }

    /** Sends that may wait for a send thread; beyond it requests are answered 503 at once. */
    public int getSendQueue() {
        return sendQueue;
    }

    public void setSendQueue(int sendQueue) {
        this.sendQueue = sendQueue;
    }

    /**
     * Produces this instance may have in flight (queued for a send thread or awaiting the broker's
     * acknowledgement); beyond it a write is answered 503 with Retry-After at once, nothing recorded,
     * instead of queueing into timeouts.
     */
    public int getMaxInFlight() {
        return maxInFlight;
    }

    public void setMaxInFlight(int maxInFlight) {
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("max-in-flight must be at least 1");
        }
        this.maxInFlight = maxInFlight;
    }

    /** The {@code Retry-After} of 409 and 503 answers, in seconds. */
    public int getRetryAfterSeconds() {
        return retryAfterSeconds;
    }

    public void setRetryAfterSeconds(int retryAfterSeconds) {
        this.retryAfterSeconds = retryAfterSeconds;
    }
}
