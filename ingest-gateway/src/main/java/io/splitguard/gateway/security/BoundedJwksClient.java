package io.splitguard.gateway.security;

import io.micronaut.context.annotation.Replaces;
import io.micronaut.core.annotation.NonNull;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.core.async.publisher.Publishers;
import io.micronaut.security.token.jwt.signature.jwks.JwksClient;
import io.micronaut.security.token.jwt.signature.jwks.ResourceRetrieverJwksClient;
import io.splitguard.gateway.config.AuthSettings;
import jakarta.inject.Singleton;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downloads JSON Web Key Sets for Micronaut's JWKS signature checks. Micronaut's fallback client
 * (used when micronaut-http-client is absent, as here) waits forever on a silent key server and reads
 * documents of any size; this one has a connect and overall timeout and a size limit
 * ({@code splitguard.gateway.auth.jwks-timeout}, {@code jwks-max-bytes}). A failed download yields no
 * key set, which Micronaut does not cache: the next token to check tries again.
 */
@Singleton
@Replaces(ResourceRetrieverJwksClient.class)
public class BoundedJwksClient implements JwksClient {

    private static final Logger LOG = LoggerFactory.getLogger(BoundedJwksClient.class);

    private final HttpClient client;
    private final Duration timeout;
    private final int maxBytes;

    public BoundedJwksClient(AuthSettings settings) {
        this.timeout = settings.getJwksTimeout();
        this.maxBytes = settings.getJwksMaxBytes();
        this.client = HttpClient.newBuilder()
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NORMAL)
                .build();
    }

    @Override
    public Publisher<String> load(@Nullable String providerName, @NonNull String url) {
        return Publishers.fromCompletableFuture(() -> fetch(providerName, url));
    }

    private CompletableFuture<String> fetch(@Nullable String providerName, String url) {
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            LOG.error("JWKS {}: invalid URL {}", providerName, url);
            return CompletableFuture.completedFuture(null);
        }
        if (!"https".equalsIgnoreCase(uri.getScheme()) && !"http".equalsIgnoreCase(uri.getScheme())) {
            LOG.error("JWKS {}: only http(s) URLs are fetched, not {}", providerName, url);
            return CompletableFuture.completedFuture(null);
        }
        HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(timeout)
                .header("Accept", "application/jwk-set+json, application/json")
                .GET()
                .build();
        return client.sendAsync(request, info -> new LimitedBody(maxBytes))
                .orTimeout(timeout.toMillis() * 2, java.util.concurrent.TimeUnit.MILLISECONDS)
                .handle((response, error) -> {
                    if (error != null) {
                        LOG.warn("JWKS {}: cannot fetch {}: {}", providerName, url, describe(error));
                        return null;
                    }
                    if (response.statusCode() != 200) {
                        LOG.warn("JWKS {}: {} answered HTTP {}", providerName, url, response.statusCode());
                        return null;
                    }
                    LOG.info("JWKS {}: fetched {} ({} bytes)", providerName, url, response.body().length);
                    return new String(response.body(), StandardCharsets.UTF_8);
                });
    }

    private static String describe(Throwable error) {
        Throwable cause = error;
        while (cause.getCause() != null && cause != cause.getCause()) {
            cause = cause.getCause();
        }
        return cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
    }

    /** Collects the body, failing once it grows past the limit. */
    private static final class LimitedBody implements HttpResponse.BodySubscriber<byte[]> {

        private final int maxBytes;
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private Flow.Subscription subscription;

        LimitedBody(int maxBytes) {
            this.maxBytes = maxBytes;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            this.subscription = subscription;
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            if (result.isDone()) {
                return;
            }
            for (ByteBuffer item : items) {
                if (bytes.size() + item.remaining() > maxBytes) {
                    subscription.cancel();
                    result.completeExceptionally(
                            new IllegalStateException("the key set is larger than " + maxBytes + " bytes"));
                    return;
                }
                byte[] chunk = new byte[item.remaining()];
                item.get(chunk);
                bytes.writeBytes(chunk);
            }
        }

        @Override
        public void onError(Throwable throwable) {
            result.completeExceptionally(throwable);
        }

        @Override
        public void onComplete() {
            result.complete(bytes.toByteArray());
        }
    }
}
