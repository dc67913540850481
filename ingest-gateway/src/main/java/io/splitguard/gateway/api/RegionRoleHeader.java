package io.splitguard.gateway.api;

import io.micronaut.core.async.publisher.Publishers;
import io.micronaut.http.HttpMethod;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Filter;
import io.micronaut.http.filter.HttpServerFilter;
import io.micronaut.http.filter.ServerFilterChain;
import io.splitguard.gateway.kafka.RegionsView;
import org.reactivestreams.Publisher;

/**
 * The write-traffic policy across regions: a gateway accepts writes whatever its region's role
 * (partition ownership already makes one task the single writer of each session, wherever the write
 * came in), and says which role its region has in the {@value #HEADER} header of every write's
 * answer ({@code primary} or {@code secondary}), so callers and dashboards see writes arriving in a
 * region that is not primary. Reading the role costs one volatile read.
 */
@Filter(patterns = "/api/**", methods = HttpMethod.POST)
public class RegionRoleHeader implements HttpServerFilter {

    public static final String HEADER = "SplitGuard-Region-Role";

    private final RegionsView regions;

    public RegionRoleHeader(RegionsView regions) {
        this.regions = regions;
    }

    @Override
    public Publisher<MutableHttpResponse<?>> doFilter(HttpRequest<?> request, ServerFilterChain chain) {
        return Publishers.map(chain.proceed(request), response -> response.header(HEADER, regions.role()));
    }
}
