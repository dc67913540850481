package io.splitguard.gateway.api;

import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;

/** The checks and answers every JSON write route shares, in the same order and words. */
final class BodyChecks {

    private BodyChecks() {}

    /**
     * Size first (declared or actual, 413), then the media type (415): both before anything is parsed.
     *
     * @param what how the detail names the body ("The body", "The notification")
     */
    static void sizeAndMediaType(HttpRequest<?> request, byte[] body, int maxBytes, String what) {
        if (request.getContentLength() > maxBytes || (body != null && body.length > maxBytes)) {
            throw new ProblemException(Problem.of(
                    "payload-too-large",
                    HttpStatus.REQUEST_ENTITY_TOO_LARGE,
                    "Payload too large",
                    "The body exceeds the limit of " + maxBytes + " bytes."));
        }
        MediaType type = request.getContentType().orElse(null);
        if (type == null || !"application".equals(type.getType()) || !"json".equals(type.getSubtype())) {
            throw new ProblemException(Problem.of(
                    "unsupported-media-type",
                    HttpStatus.UNSUPPORTED_MEDIA_TYPE,
                    "Unsupported media type",
                    what + " must be sent as application/json."));
        }
    }

    static Problem malformed(String detail) {
        return Problem.of("malformed-request", HttpStatus.BAD_REQUEST, "Malformed request", detail);
    }

    /**
     * The 503 of a write Kafka did not take: {@code outcome} says whether it may have been recorded.
     *
     * @param unknown the detail when the record may have been appended
     * @param notRecorded the detail when it certainly was not
     */
    static MutableHttpResponse<byte[]> unavailable(
            HttpRequest<?> request, boolean indeterminate, String unknown, String notRecorded, int retryAfterSeconds) {
        return Problem.of(
                        indeterminate ? "outcome-unknown" : "kafka-unavailable",
                        HttpStatus.SERVICE_UNAVAILABLE,
                        "Service unavailable",
                        indeterminate ? unknown : notRecorded)
                .with("outcome", indeterminate ? "unknown" : "not_recorded")
                .withInstance(request.getPath())
                .toResponse()
                .header(HttpHeaders.RETRY_AFTER, Integer.toString(retryAfterSeconds));
    }
}
