package io.splitguard.gateway.kafka;

/**
 * A produce that certainly appended nothing: the record was never handed to the producer (queue full,
 * hand-off deadline passed, metadata or buffer space not available in time) or the producer refused it
 * before sending. The key may be forgotten. Any other produce failure is indeterminate.
 */
public final class NotSentException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public NotSentException(String message, Throwable cause) {
        super(message, cause);
    }
}
