package io.splitguard.gateway.api;

import io.micronaut.core.async.publisher.Publishers;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Filter;
import io.micronaut.http.filter.HttpServerFilter;
import io.micronaut.http.filter.ServerFilterChain;
import io.micronaut.http.filter.ServerFilterPhase;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Gives every request a correlation id (the caller's {@value #CORRELATION_HEADER} when well-formed, else a
 * new one), returns it in that header, and writes one log line per answered request on the logger
 * {@value #LOGGER} (DEBUG; INFO for 5xx) carrying the MDC fields {@value #CORRELATION_ID},
 * {@value #SESSION_ID} and {@value #IDEMPOTENCY_KEY} where the handler made them known.
 *
 * <p>Handlers run partly on the event loop and partly on Kafka's and the lookup's threads, so the MDC is
 * never left set on a thread: the correlation id is in the MDC only while the filter chain is entered
 * synchronously, and log lines written later run inside {@link #withMdc(HttpRequest, Runnable)}. Nothing of
 * the headers (tokens) or the body is ever logged.
 */
@Filter(Filter.MATCH_ALL_PATTERN)
public class RequestLogging implements HttpServerFilter {

    public static final String CORRELATION_HEADER = "X-Correlation-Id";
    public static final String LOGGER = "io.splitguard.gateway.requests";
    public static final String CORRELATION_ID = "correlation_id";
    public static final String SESSION_ID = "session_id";
    public static final String IDEMPOTENCY_KEY = "idempotency_key";

    private static final String ATTRIBUTE = "splitguard.log.";
    private static final Pattern WELL_FORMED = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    private static final Logger LOG = LoggerFactory.getLogger(LOGGER);

    @Override
    public int getOrder() {
        return ServerFilterPhase.FIRST.before();
    }

    @Override
    public Publisher<MutableHttpResponse<?>> doFilter(HttpRequest<?> request, ServerFilterChain chain) {
        String id = correlationId(request.getHeaders().get(CORRELATION_HEADER));
        request.setAttribute(ATTRIBUTE + CORRELATION_ID, id);
        long start = System.nanoTime();
        Publisher<MutableHttpResponse<?>> answer;
        MDC.put(CORRELATION_ID, id);
        try {
            answer = chain.proceed(request);
        } finally {
            MDC.remove(CORRELATION_ID);
        }
        return Publishers.map(answer, response -> {
            response.header(CORRELATION_HEADER, id);
            int status = response.code();
            boolean serverSide = status >= 500;
            if (serverSide ? LOG.isInfoEnabled() : LOG.isDebugEnabled()) {
                long millis = (System.nanoTime() - start) / 1_000_000;
                String format = "{} {} answered {} in {} ms";
                Object[] args = {request.getMethodName(), request.getPath(), status, millis};
                withMdc(request, () -> {
                    if (serverSide) {
                        LOG.info(format, args);
                    } else {
                        LOG.debug(format, args);
                    }
                });
            }
            return response;
        });
    }

    /** The caller's id when it is safe to log and echo, else a fresh one. */
    static String correlationId(String offered) {
        if (offered != null && WELL_FORMED.matcher(offered).matches()) {
            return offered;
        }
        return UUID.randomUUID().toString();
    }

    /** Records what the handler learnt about the request, for the log lines about it. */
    public static void describe(HttpRequest<?> request, String sessionId, String idempotencyKey) {
        if (sessionId != null) {
            request.setAttribute(ATTRIBUTE + SESSION_ID, sessionId);
        }
        if (idempotencyKey != null) {
            request.setAttribute(ATTRIBUTE + IDEMPOTENCY_KEY, idempotencyKey);
        }
    }

    /** Runs {@code log} with the request's known fields in the MDC of the calling thread, then removes them. */
    public static void withMdc(HttpRequest<?> request, Runnable log) {
        List<String> put = new ArrayList<>(3);
        for (String field : List.of(CORRELATION_ID, SESSION_ID, IDEMPOTENCY_KEY)) {
            request.getAttribute(ATTRIBUTE + field, String.class).ifPresent(value -> {
                MDC.put(field, value);
                put.add(field);
            });
        }
        try {
            log.run();
        } finally {
            put.forEach(MDC::remove);
        }
    }
}
