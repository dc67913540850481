package io.splitguard.gateway.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.security.annotation.Secured;
import io.splitguard.gateway.idempotency.IdempotencyCache;
import io.splitguard.gateway.kafka.RegionsView;
import io.splitguard.gateway.security.Scopes;
import io.splitguard.health.RegionView;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.model.FailoverDecision;
import io.splitguard.schemas.model.RegionVote;

/**
 * {@code GET /api/v1/regions}: each configured region's latest health vote with its age, the current
 * primary and its epoch, and this gateway's own region and role. Served from the background view of
 * the region topics; calls nothing per request.
 */
@Controller
public class RegionsController {

    private final RegionsView regions;

    public RegionsController(RegionsView regions) {
        this.regions = regions;
    }

    @Get(uri = "/api/v1/regions", produces = MediaType.APPLICATION_JSON)
    @Secured(Scopes.SESSION_READ)
    public HttpResponse<byte[]> regions() {
        RegionView.Snapshot snapshot = regions.snapshot();
        ObjectNode body = Json.mapper().createObjectNode();
        body.put("region", snapshot.self());
        body.put("role", snapshot.role());
        body.put("primary", snapshot.primary());
        body.put("epoch", snapshot.epoch());
        FailoverDecision decision = snapshot.decision();
        if (decision != null) {
            body.put("decided_at", decision.decidedAt().toString());
        }
        ArrayNode list = body.putArray("regions");
        for (RegionView.RegionState state : snapshot.regions()) {
            ObjectNode r = list.addObject();
            r.put("region", state.region());
            RegionVote vote = state.vote();
            if (vote == null) {
                r.put("healthy", false);
                r.put("status", "no_vote");
                r.put("fresh", false);
                continue;
            }
            r.put("healthy", vote.healthy());
            r.put("status", vote.status());
            r.put("age_ms", state.ageMs());
            r.put("fresh", state.fresh());
            r.put("primary_view", vote.primary());
            r.put("epoch_view", vote.epoch());
            r.put("primary_healthy", vote.primaryHealthy());
        }
        return HttpResponse.ok(IdempotencyCache.bytes(body)).contentType(MediaType.APPLICATION_JSON_TYPE);
    }
}
