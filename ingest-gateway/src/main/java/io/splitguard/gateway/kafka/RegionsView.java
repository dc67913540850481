package io.splitguard.gateway.kafka;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.annotation.Context;
import io.micronaut.core.value.PropertyResolver;
import io.splitguard.gateway.config.ClientProperties;
import io.splitguard.gateway.config.KafkaSettings;
import io.splitguard.health.HealthSettings;
import io.splitguard.health.RegionSettings;
import io.splitguard.health.RegionView;
import io.splitguard.schemas.topics.TopicCatalog;
import jakarta.annotation.PreDestroy;
import java.time.Clock;

/**
 * This gateway's view of the region quorum ({@code GET /api/v1/regions}, the {@code
 * SplitGuard-Region-Role} header): a {@link RegionView} reading the compacted region-health and
 * failover-decisions topics in the background, its memory bounded by the number of regions. The
 * region settings are the health settings' ({@code SPLITGUARD_REGIONS}, {@code SPLITGUARD_REGION}, …).
 *
 * <p>Publishes {@code splitguard.region.primary} (1 while this gateway's region is the primary) and
 * {@code splitguard.region.epoch}.
 */
@Context
public class RegionsView implements AutoCloseable {

    private final RegionView view;
    private final RegionSettings settings;

    public RegionsView(
            PropertyResolver properties,
            KafkaSettings kafka,
            ClientProperties extra,
            TopicCatalog catalog,
            MeterRegistry registry) {
        this.settings = RegionSettings.fromEnv(GatewayBeans.settings(properties, HealthSettings.DEFINITION.names()));
        this.view =
                RegionView.start(kafka.getBootstrapServers(), extra.consumer(), catalog, settings, Clock.systemUTC());
        Gauge.builder("splitguard.region.primary", this, v -> v.isPrimary() ? 1 : 0)
                .tag("region", settings.region())
                .description("1 while this instance's region is the primary of the latest failover decision, else 0")
                .register(registry);
        Gauge.builder("splitguard.region.epoch", view, RegionView::epoch)
                .tag("region", settings.region())
                .description("Epoch of the latest failover decision this instance has read (0: none yet)")
                .register(registry);
    }

    public RegionView.Snapshot snapshot() {
        return view.snapshot();
    }

    public String region() {
        return settings.region();
    }

    public boolean isPrimary() {
        return settings.region().equals(view.primary());
    }

    /** {@code primary} or {@code secondary}, from the latest decision read (the initial primary before one). */
    public String role() {
        return isPrimary() ? "primary" : "secondary";
    }

    @Override
    @PreDestroy
    public void close() {
        view.close();
    }
}
