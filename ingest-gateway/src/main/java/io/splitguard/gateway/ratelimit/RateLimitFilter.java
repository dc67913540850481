package io.splitguard.gateway.ratelimit;

import io.micronaut.core.async.publisher.Publishers;
import io.micronaut.http.BasicHttpAttributes;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Filter;
import io.micronaut.http.filter.HttpServerFilter;
import io.micronaut.http.filter.ServerFilterChain;
import io.micronaut.http.filter.ServerFilterPhase;
import io.micronaut.security.authentication.Authentication;
import io.splitguard.gateway.api.Problem;
import io.splitguard.gateway.config.RateLimitSettings;
import io.splitguard.gateway.security.Scopes;
import java.net.InetSocketAddress;
import org.reactivestreams.Publisher;

/**
 * Spends one permit of the caller's budget on the route for every {@code /api/**} request, after
 * authentication (so the token's tenant names the client) and before the controller: a request beyond
 * the budget is answered 429 with {@code Retry-After} and never reaches validation, the idempotency
 * cache or Kafka, so a 429 is never remembered as a key's outcome. Every answer carries {@code
 * RateLimit-Limit}, {@code RateLimit-Remaining} and {@code RateLimit-Reset}.
 *
 * <p>The client is the token's {@code tenant} claim (else its subject); without a token, the configured
 * client header ({@link RateLimitSettings#getClientHeader()}), else the remote address. The route is
 * the matched route template, so {@code /api/v2/webhooks/genesys} and {@code .../cxone} have budgets of
 * their own.
 */
@Filter(patterns = "/api/**")
public class RateLimitFilter implements HttpServerFilter {

    public static final String LIMIT = "RateLimit-Limit";
    public static final String REMAINING = "RateLimit-Remaining";
    public static final String RESET = "RateLimit-Reset";

    private final RateLimits limits;
    private final RateLimitSettings settings;

    public RateLimitFilter(RateLimits limits, RateLimitSettings settings) {
        this.limits = limits;
        this.settings = settings;
    }

    @Override
    public int getOrder() {
        return ServerFilterPhase.SECURITY.after();
    }

    @Override
    public Publisher<MutableHttpResponse<?>> doFilter(HttpRequest<?> request, ServerFilterChain chain) {
        if (!limits.enabled()) {
            return chain.proceed(request);
        }
        RateLimits.Decision decision = limits.acquire(client(request), route(request));
        if (!decision.allowed()) {
            MutableHttpResponse<?> refused = Problem.of(
                            "rate-limited",
                            HttpStatus.TOO_MANY_REQUESTS,
                            "Too many requests",
                            "This client's budget of " + decision.limit() + " requests per "
                                    + settings.getRefreshPeriod().toMillis() + " ms on this route is spent;"
                                    + " retry after Retry-After seconds.")
                    .withInstance(request.getPath())
                    .toResponse()
                    .header(HttpHeaders.RETRY_AFTER, Long.toString(decision.resetSeconds()));
            return Publishers.just(headers(refused, decision));
        }
        return Publishers.map(chain.proceed(request), response -> headers(response, decision));
    }

    private static MutableHttpResponse<?> headers(MutableHttpResponse<?> response, RateLimits.Decision decision) {
        return response.header(LIMIT, Integer.toString(decision.limit()))
                .header(REMAINING, Integer.toString(decision.remaining()))
                .header(RESET, Long.toString(decision.resetSeconds()));
    }

    private String client(HttpRequest<?> request) {
        Authentication authentication =
                request.getUserPrincipal(Authentication.class).orElse(null);
        if (authentication != null) {
            Object tenant = authentication.getAttributes().get(Scopes.TENANT_CLAIM);
            return "tenant:" + (tenant != null && !tenant.toString().isBlank() ? tenant : authentication.getName());
        }
        if (!settings.getClientHeader().isBlank()) {
            String named = request.getHeaders().get(settings.getClientHeader());
            if (named != null && !named.isBlank()) {
                return "client:" + (named.length() > 128 ? named.substring(0, 128) : named);
            }
        }
        InetSocketAddress remote = request.getRemoteAddress();
        return "address:"
                + (remote.getAddress() != null ? remote.getAddress().getHostAddress() : remote.getHostString());
    }

    private static String route(HttpRequest<?> request) {
        String template = BasicHttpAttributes.getUriTemplate(request).orElse(null);
        String path = template != null ? template : "unmatched";
        if (path.contains("{platform}")) {
            // each platform's webhooks are a route of their own
            path = request.getPath();
        }
        return request.getMethodName() + " " + path;
    }
}
