package io.splitguard.launcher.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * How the dashboard's metric names are found, and that a metric a service does not serve is
 * reported. Whether the services serve every metric the dashboard queries is DashboardMetricsIT's.
 */
class DashboardTest {

    @Test
    void shouldFindTheMetricNamesOfPromQlExpressions() {
        assertThat(
                        GrafanaDashboard.metricNames(
                                "sum by (outcome) (rate(splitguard_gateway_requests_total{outcome=\"unavailable\"}[$__rate_interval]))"))
                .containsExactly("splitguard_gateway_requests_total");
        assertThat(GrafanaDashboard.metricNames(
                        "sum(rate(a_seconds_sum[5m])) / sum(rate(a_seconds_count[5m])) * 1e3 > bool 0"))
                .containsExactlyInAnyOrder("a_seconds_sum", "a_seconds_count");
        assertThat(
                        GrafanaDashboard.metricNames(
                                "histogram_quantile(0.99, sum(rate(x_bucket{job=~\"$job\"}[${interval}])) by (le)) or on (instance) up"))
                .containsExactlyInAnyOrder("x_bucket", "up");
    }

    @Test
    void shouldAssignEveryPanelOfTheDashboardToAService() {
        Map<ServiceKind, Set<String>> metrics = GrafanaDashboard.metricsByService(GrafanaDashboard.read());

        assertThat(metrics).containsOnlyKeys(ServiceKind.GATEWAY, ServiceKind.TOPOLOGY, ServiceKind.SINK);
        assertThat(metrics.get(ServiceKind.GATEWAY)).contains("splitguard_gateway_requests_total");
        assertThat(metrics.get(ServiceKind.TOPOLOGY)).contains("kafka_stream_thread_process_rate");
        assertThat(metrics.get(ServiceKind.SINK))
                .contains("splitguard_sink_refused_total", "splitguard_sink_lag", "splitguard_sink_dead_letters_total");
    }

    @Test
    void shouldRefuseAPanelOutsideAServiceRowOrWithoutAQuery() {
        assertThatThrownBy(() -> GrafanaDashboard.metricsByService(
                        "{\"panels\":[{\"type\":\"timeseries\",\"title\":\"lost\",\"targets\":[{\"expr\":\"up\"}]}]}"))
                .hasMessageContaining("panel 'lost' is under no service row");
        assertThatThrownBy(() -> GrafanaDashboard.metricsByService(
                        "{\"panels\":[{\"type\":\"row\",\"title\":\"dedup-topology\"},"
                                + "{\"type\":\"stat\",\"title\":\"empty\"}]}"))
                .hasMessageContaining("panel 'empty' queries nothing");
    }

    @Test
    void shouldTellAMetricAServiceServesFromOneItDoesNot() {
        String scrape =
                """
                # HELP splitguard_sink_batches_total committed batches
                # TYPE splitguard_sink_batches_total counter
                splitguard_sink_batches_total 2.0
                # TYPE splitguard_sink_batch_duration_seconds summary
                splitguard_sink_batch_duration_seconds_count 2
                splitguard_sink_batch_duration_seconds_sum 0.11
                kafka_consumer_fetch_manager_records_lag{client_id="splitguard-postgres-sink-1",partition="0"} 0.0
                """;

        assertThat(PrometheusText.has(scrape, "splitguard_sink_batches_total")).isTrue();
        assertThat(PrometheusText.has(scrape, "kafka_consumer_fetch_manager_records_lag"))
                .isTrue();
        assertThat(PrometheusText.has(scrape, "splitguard_sink_batch_duration_seconds_bucket"))
                .as("a bucket of a family the scrape declares")
                .isTrue();
        assertThat(PrometheusText.has(scrape, "splitguard_sink_batches"))
                .as("counter without _total")
                .isFalse();
        assertThat(PrometheusText.has(scrape, "splitguard_sink_refused_total")).isFalse();
        assertThat(PrometheusText.has(scrape, "splitguard_sink_batches_total_bucket"))
                .isFalse();
        assertThat(PrometheusText.has(scrape, "kafka_consumer_fetch_manager"))
                .as("a prefix only")
                .isFalse();
    }
}
