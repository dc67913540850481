package io.splitguard.gateway.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.security.annotation.Secured;
import io.micronaut.security.authentication.Authentication;
import io.micronaut.security.rules.SecurityRule;
import io.splitguard.gateway.config.GatewaySettings;
import io.splitguard.gateway.config.WebhookPlatformSettings;
import io.splitguard.gateway.idempotency.CachedEntry;
import io.splitguard.gateway.security.Scopes;
import io.splitguard.gateway.webhook.PlatformEvent;
import io.splitguard.gateway.webhook.StandardWebhooks;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.json.PayloadHash;
import io.splitguard.schemas.json.Storable;
import io.splitguard.schemas.model.IdempotencyKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * {@code POST /api/v2/webhooks/{platform}}: a platform's notification as delivered. The session id, event
 * id, time and type are found by the platform's JSON Pointers ({@link WebhookPlatformSettings}); the
 * idempotency key is the {@code Idempotency-Key} header, else the platform's event id, else {@code
 * webhook-id}. From there the delivery takes the CRM update's path ({@link IdempotentWrites}): the same
 * durable ack, dedup, sequencing, replay answers and sink, under route {@code webhook.<platform>}.
 *
 * <p>Checks, in order: a configured platform (404), size (413), media type (415), authentication (a
 * valid Standard Webhooks signature or shared secret where the platform has them, else a bearer token
 * with {@code session:write}: 401/403), JSON (400), storable content and a resolvable session id (422),
 * a key (400). Nothing is produced for a delivery that fails any of them.
 */
@Controller
public class WebhookController {

    public static final String PATH = "/api/v2/webhooks/{platform}";
    public static final String ROUTE_PREFIX = "webhook.";

    private final GatewaySettings settings;
    private final Map<String, WebhookPlatformSettings> platforms;
    private final Map<String, StandardWebhooks> verifiers;
    private final IdempotentWrites writes;
    private final GatewayMetrics metrics;
    private final Clock clock = Clock.systemUTC();

    public WebhookController(
            GatewaySettings settings,
            List<WebhookPlatformSettings> platforms,
            IdempotentWrites writes,
            GatewayMetrics metrics) {
        this.settings = settings;
        this.platforms = platforms.stream()
                .filter(WebhookPlatformSettings::isEnabled)
                .collect(Collectors.toUnmodifiableMap(WebhookPlatformSettings::getName, Function.identity()));
        this.verifiers = this.platforms.values().stream()
                .filter(p -> !p.getSigningSecrets().isEmpty())
                .collect(Collectors.toUnmodifiableMap(
                        WebhookPlatformSettings::getName,
                        p -> new StandardWebhooks(p.getSigningSecrets(), p.getSignatureTolerance())));
        this.writes = writes;
        this.metrics = metrics;
    }

    @Post(uri = PATH, consumes = MediaType.ALL, produces = MediaType.APPLICATION_JSON)
    @Secured(SecurityRule.IS_ANONYMOUS)
    public CompletableFuture<HttpResponse<?>> deliver(
            HttpRequest<?> request,
            @PathVariable String platform,
            @Body byte[] body,
            @Nullable Authentication authentication) {
        IdempotentWrites.Accepted input;
        try {
            input = validate(request, platform, body == null ? new byte[0] : body, authentication);
        } catch (ProblemException e) {
            metrics.rejected();
            HttpResponse<?> refused =
                    e.problem().withInstance(request.getPath()).toResponse();
            return CompletableFuture.completedFuture(refused);
        }
        return writes.write(request, input);
    }

    IdempotentWrites.Accepted validate(
            HttpRequest<?> request, String name, byte[] body, Authentication authentication) {
        WebhookPlatformSettings platform = platforms.get(name);
        if (platform == null) {
            throw new ProblemException(Problem.of(
                    "unknown-platform",
                    HttpStatus.NOT_FOUND,
                    "Unknown platform",
                    "No webhook platform named '" + (name.length() > 64 ? name.substring(0, 64) + "…" : name)
                            + "' is configured here."));
        }
        BodyChecks.sizeAndMediaType(request, body, settings.getMaxBodyBytes(), "The notification");
        String tenant = authenticate(request, platform, body, authentication);
        JsonNode notification;
        try {
            notification = body.length == 0 ? null : Json.mapper().readTree(body);
        } catch (IOException e) {
            notification = null;
        }
        if (notification == null || notification.isMissingNode()) {
            throw new ProblemException(Problem.of(
                    "malformed-request",
                    HttpStatus.BAD_REQUEST,
                    "Malformed request",
                    "The body is not a JSON document."));
        }
        List<String> unstorable = Storable.violations(notification);
        if (!unstorable.isEmpty()) {
            throw new ProblemException(Problem.of(
                            "unstorable-content",
                            HttpStatus.UNPROCESSABLE_ENTITY,
                            "Content cannot be stored",
                            "The body contains values the database cannot store exactly as sent.")
                    .with("errors", unstorable));
        }
        PlatformEvent event;
        try {
            event = PlatformEvent.of(platform, notification);
        } catch (PlatformEvent.Refused e) {
            throw new ProblemException(Problem.of(
                            "unresolvable-event",
                            HttpStatus.UNPROCESSABLE_ENTITY,
                            "Event cannot be placed",
                            e.getMessage())
                    .with("pointer", e.pointer()));
        }
        RequestLogging.describe(request, event.sessionId(), null);
        String key = key(request, event);
        RequestLogging.describe(request, null, key);
        String route = ROUTE_PREFIX + platform.getName();
        CachedEntry.Delivery delivery = new CachedEntry.Delivery(
                IdempotencyKeys.scoped(tenant, route, event.sessionId(), key),
                UUID.randomUUID().toString(),
                tenant,
                key,
                route,
                event.sessionId(),
                PayloadHash.of(notification),
                false,
                Instant.now(clock));
        return new IdempotentWrites.Accepted(delivery, event.document(), null);
    }

    /** The tenant the delivery writes as, once it proved who sent it; else the problem to answer. */
    private String authenticate(
            HttpRequest<?> request, WebhookPlatformSettings platform, byte[] body, Authentication authentication) {
        if (!platform.selfAuthenticating()) {
            if (authentication == null) {
                throw new ProblemException(Problem.of(
                        "unauthorized",
                        HttpStatus.UNAUTHORIZED,
                        "Unauthorized",
                        "A bearer token with scope " + Scopes.SESSION_WRITE + " is required."));
            }
            if (!authentication.getRoles().contains(Scopes.SESSION_WRITE)) {
                throw new ProblemException(Problem.of(
                        "forbidden",
                        HttpStatus.FORBIDDEN,
                        "Forbidden",
                        "The token lacks scope " + Scopes.SESSION_WRITE + "."));
            }
            return Scopes.tenantOf(authentication);
        }
        StandardWebhooks verifier = verifiers.get(platform.getName());
        if (verifier != null) {
            verifier.refusal(
                            request.getHeaders().get(StandardWebhooks.ID),
                            request.getHeaders().get(StandardWebhooks.TIMESTAMP),
                            request.getHeaders().get(StandardWebhooks.SIGNATURE),
                            body,
                            clock.instant())
                    .ifPresent(reason -> {
                        throw new ProblemException(invalidSignature(reason));
                    });
        }
        if (!platform.getSecretHeader().isBlank()
                && !platform.getSharedSecrets().isEmpty()) {
            String given = request.getHeaders().get(platform.getSecretHeader());
            byte[] givenBytes = given == null ? new byte[0] : given.getBytes(StandardCharsets.UTF_8);
            boolean matched = false;
            for (String secret : platform.getSharedSecrets()) {
                matched |= MessageDigest.isEqual(givenBytes, secret.getBytes(StandardCharsets.UTF_8));
            }
            if (given == null || !matched) {
                throw new ProblemException(invalidSignature(
                        "the " + platform.getSecretHeader() + " header does not carry a configured secret"));
            }
        }
        // the platform's tenant, never the token's: every delivery of one event must share one key scope
        return platform.effectiveTenant();
    }

    /** Idempotency-Key, else the platform's event id, else webhook-id; the problem to answer when none. */
    private static String key(HttpRequest<?> request, PlatformEvent event) {
        String key = request.getHeaders().get(ContactUpdateController.IDEMPOTENCY_KEY);
        String source = ContactUpdateController.IDEMPOTENCY_KEY;
        if (key == null) {
            key = event.eventId();
            source = "the event id";
        }
        if (key == null) {
            key = request.getHeaders().get(StandardWebhooks.ID);
            source = StandardWebhooks.ID;
        }
        if (key == null) {
            throw new ProblemException(Problem.of(
                    "idempotency-key-required",
                    HttpStatus.BAD_REQUEST,
                    "Idempotency key required",
                    "The delivery has no Idempotency-Key header, the notification no event id and the request no "
                            + StandardWebhooks.ID + " header: nothing tells a retry from a new event."));
        }
        if (key.isEmpty() || key.length() > IdempotencyKeys.MAX_KEY_LENGTH || Storable.problemWith(key) != null) {
            throw new ProblemException(Problem.of(
                    "invalid-idempotency-key",
                    HttpStatus.BAD_REQUEST,
                    "Invalid idempotency key",
                    "The key taken from " + source + " must have 1 to " + IdempotencyKeys.MAX_KEY_LENGTH
                            + " characters, none of them U+0000 or an unpaired surrogate."));
        }
        return key;
    }

    private static Problem invalidSignature(String reason) {
        return Problem.of(
                "invalid-signature",
                HttpStatus.UNAUTHORIZED,
                "Invalid signature",
                "The delivery could not be authenticated: " + reason + ".");
    }
}
