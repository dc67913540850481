package io.splitguard.launcher.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * docker-compose.yml cannot be started here (no Docker engine), so it is checked against the
 * project's own truth instead: setting names, ports, health paths, replication, the Dockerfile.
 * Every check is also shown to fail on a file that is wrong in that one respect.
 */
class ComposeFileTest {

    static final Path REPOSITORY = Path.of("..").toAbsolutePath().normalize();

    private static String read(String file) throws Exception {
        return Files.readString(REPOSITORY.resolve(file), StandardCharsets.UTF_8);
    }

    private static List<String> problemsOf(String compose) throws Exception {
        return ComposeCheck.problems(compose, read("deploy/docker/Dockerfile"), REPOSITORY);
    }

    /** The real compose file with one text replaced, failing if the text is not there. */
    private static String composeWith(String from, String to) throws Exception {
        String compose = read("docker-compose.yml");
        assertThat(compose).contains(from);
        return compose.replaceFirst(java.util.regex.Pattern.quote(from), java.util.regex.Matcher.quoteReplacement(to));
    }

    @Test
    void shouldFindNothingWrongWithTheComposeFile() throws Exception {
        assertThat(problemsOf(read("docker-compose.yml"))).isEmpty();
    }

    @Test
    void shouldReportAnEnvironmentNameNoServiceDefines() throws Exception {
        assertThat(problemsOf(composeWith("SPLITGUARD_STREAM_THREADS", "SPLITGUARD_STREAMS_THREADS")))
                .anySatisfy(p -> assertThat(p)
                        .startsWith("topology-1:")
                        .contains("SPLITGUARD_STREAMS_THREADS")
                        .contains("Kafka Streams, which has no such setting"));
        assertThat(problemsOf(composeWith("DATABASE_USER: splitguard", "DATABASE_USERNAME: splitguard")))
                .contains("postgres-sink: DATABASE_USERNAME is not a setting of postgres-sink");
        assertThat(problemsOf(composeWith("MICRONAUT_SERVER_PORT", "MICRONAUT_SERVER_PROT")))
                .anySatisfy(p -> assertThat(p).contains("MICRONAUT_SERVER_PROT is no Micronaut property"));
        assertThat(problemsOf(
                        composeWith("SPLITGUARD_MANAGEMENT_PORT: \"8082\"", "SPLITGUARD_STANDBY_REPLICAS: \"1\"")))
                .as("a topology setting in the sink's environment")
                .contains("postgres-sink: SPLITGUARD_STANDBY_REPLICAS is not a setting of postgres-sink");
    }

    @Test
    void shouldReportACoordinatorSettingOrPortItDoesNotHaveWhenTheFileIsWrong() throws Exception {
        assertThat(problemsOf(composeWith("SPLITGUARD_REGION: region-b", "SPLITGUARD_REGION_NAME: region-b")))
                .contains("region-b-coordinator: SPLITGUARD_REGION_NAME is not a setting of region-coordinator");
        assertThat(problemsOf(composeWith("SPLITGUARD_REGION: region-c", "SPLITGUARD_STANDBY_REPLICAS: \"1\"")))
                .as("a topology setting in a coordinator's environment")
                .contains("region-c-coordinator: SPLITGUARD_STANDBY_REPLICAS is not a setting of region-coordinator");
        assertThat(problemsOf(composeWith("\"8087:8084\"", "\"8087:8081\"")))
                .contains("region-b-coordinator: publishes container port 8081, the service listens on 8084");
        assertThat(problemsOf(composeWith("http://localhost:8084/health/ready", "http://localhost:8084/health/live")))
                .contains("region-a-coordinator: health check on /health/live, not on readiness (/health/ready)");
    }

    @Test
    void shouldReportCoordinatorsThatFormNoOneQuorumWhenTheirRegionsDisagree() throws Exception {
        assertThat(problemsOf(composeWith("SPLITGUARD_REGION: region-b", "SPLITGUARD_REGION: region-a")))
                .contains(
                        "region-b-coordinator: votes for region region-a, as region-a-coordinator does",
                        "no region coordinator votes for region region-b of SPLITGUARD_REGIONS");
        assertThat(problemsOf(composeWith("SPLITGUARD_REGION: region-c", "SPLITGUARD_REGION: region-z")))
                .anySatisfy(
                        p -> assertThat(p).startsWith("region-c-coordinator: ").contains("'region-z' is not one of"));
        assertThat(problemsOf(composeWith(
                        "SPLITGUARD_REGION: region-c",
                        "SPLITGUARD_REGION: region-c\n      SPLITGUARD_REGION_INITIAL_PRIMARY: region-c")))
                .anySatisfy(p -> assertThat(p)
                        .startsWith("SPLITGUARD_REGION_INITIAL_PRIMARY must agree across the region coordinators"));
    }

    @Test
    void shouldReportAHealthCheckOnAPathOrPortTheServiceDoesNotServe() throws Exception {
        assertThat(problemsOf(composeWith("http://localhost:8082/health/ready", "http://localhost:8082/healthz")))
                .contains("postgres-sink: health check path /healthz is not served by postgres-sink");
        assertThat(problemsOf(composeWith("http://localhost:8080/health/ready", "http://localhost:8081/health/ready")))
                .contains("ingest-gateway: health check on port 8081, the service listens on 8080");
        assertThat(problemsOf(
                        composeWith("SPLITGUARD_MANAGEMENT_PORT: \"8082\"", "SPLITGUARD_MANAGEMENT_PORT: \"9000\"")))
                .contains("postgres-sink: health check on port 8082, the service listens on 9000")
                .contains("postgres-sink: publishes container port 8082, the service listens on 9000");
        assertThat(problemsOf(composeWith("http://localhost:8080/health/ready", "http://localhost:8080/health/live")))
                .contains("ingest-gateway: health check on /health/live, not on readiness (/health/ready)");
    }

    @Test
    void shouldReportReplicationBelowWhatTheCatalogRequires() throws Exception {
        assertThat(problemsOf(
                        composeWith("SPLITGUARD_MIN_INSYNC_REPLICAS: \"2\"", "SPLITGUARD_MIN_INSYNC_REPLICAS: \"1\"")))
                .contains("postgres-sink: SPLITGUARD_MIN_INSYNC_REPLICAS is 1, the catalog requires 2");
        assertThat(problemsOf(composeWith("KAFKA_MIN_INSYNC_REPLICAS: \"2\"", "KAFKA_MIN_INSYNC_REPLICAS: \"1\"")))
                .contains("kafka-1: KAFKA_MIN_INSYNC_REPLICAS is 1, must be 2");
        assertThat(problemsOf(composeWith(
                        "KAFKA_AUTO_CREATE_TOPICS_ENABLE: \"false\"", "KAFKA_AUTO_CREATE_TOPICS_ENABLE: \"true\"")))
                .contains("kafka-3: KAFKA_AUTO_CREATE_TOPICS_ENABLE is true, must be false");
    }

    @Test
    void shouldReportBrokersSharingARackOrMissing() throws Exception {
        assertThat(problemsOf(composeWith("KAFKA_BROKER_RACK: region-b", "KAFKA_BROKER_RACK: region-a")))
                .contains("kafka-2: rack region-a is also the rack of kafka-1");
        assertThat(problemsOf(composeWith("image: apache/kafka:4.1.1", "image: example/kafka:4.1.1")))
                .anySatisfy(p -> assertThat(p).startsWith("expected 3 Kafka brokers"));
    }

    @Test
    void shouldReportTopologyInstancesWithoutTheirOwnPersistentState() throws Exception {
        assertThat(problemsOf(composeWith(
                        "topology-2-state:/var/lib/splitguard/state", "topology-1-state:/var/lib/splitguard/state")))
                .contains("topology-2: shares state volume topology-1-state with topology-1");
        assertThat(problemsOf(composeWith(
                        "- topology-1-state:/var/lib/splitguard/state", "- /tmp:/var/lib/splitguard/state")))
                .contains("topology-1: its state directory /var/lib/splitguard/state is not on a named volume");
    }

    @Test
    void shouldReportCheckpointReadsThatCannotReachTheCheckpointTopologyWhenTheQueryUrlsAreWrong() throws Exception {
        String urls = "http://checkpoint-1:8083,http://checkpoint-2:8083";
        assertThat(problemsOf(composeWith(urls, "http://checkpoint-1:8083")))
                .contains("ingest-gateway: SPLITGUARD_GATEWAY_CHECKPOINT_QUERY_URL 'http://checkpoint-1:8083' names"
                        + " fewer than two checkpoint-topology instances");
        assertThat(problemsOf(composeWith(urls, "http://checkpoint-1:8083,http://checkpoint-2:8085")))
                .contains("ingest-gateway: SPLITGUARD_GATEWAY_CHECKPOINT_QUERY_URL asks checkpoint-2 on port 8085,"
                        + " not its management port 8083");
        assertThat(problemsOf(composeWith(urls, "http://checkpoint-1:8083,http://topology-1:8081")))
                .contains("ingest-gateway: SPLITGUARD_GATEWAY_CHECKPOINT_QUERY_URL names topology-1, no"
                        + " checkpoint-topology service");
        assertThat(problemsOf(composeWith(
                        "SPLITGUARD_CHECKPOINT_APPLICATION_SERVER: checkpoint-2:8083",
                        "SPLITGUARD_CHECKPOINT_APPLICATION_SERVER: checkpoint-1:8083")))
                .contains("checkpoint-2: application.server checkpoint-1:8083 is not this service on its management"
                        + " port");
    }

    @Test
    void shouldReportAnImageWhoseDockerfileStageRunsAnotherService() throws Exception {
        String dockerfile = read("deploy/docker/Dockerfile")
                .replace("io.splitguard.topology.app.DedupMain\"]", "io.splitguard.topology.app.NoSuchMain\"]");
        assertThat(ComposeCheck.problems(read("docker-compose.yml"), dockerfile, REPOSITORY))
                .contains("Dockerfile stage topology: main class io.splitguard.topology.app.NoSuchMain does not exist");
        assertThat(problemsOf(composeWith("target: sink}", "target: gateway}"))).anySatisfy(p -> assertThat(p)
                .startsWith("postgres-sink: image splitguard/postgres-sink:local built from target gateway"));
    }

    @Test
    void shouldReportAKeyComposeDoesNotKnow() throws Exception {
        assertThat(problemsOf(composeWith(
                        "    stop_grace_period: 30s\n    environment:", "    stop_grace_period: 30s\n    enviroment:")))
                .contains("postgres-sink: 'enviroment' is no key of a compose service");
        assertThat(problemsOf(composeWith("start_period: 30s", "start-period: 30s")))
                .contains("kafka-1: 'start-period' is no key of a compose health check");
    }

    @Test
    void shouldReportAnImageWhoseOwnHealthCheckOrPortIsWrong() throws Exception {
        String dockerfile = read("deploy/docker/Dockerfile")
                .replace("http://localhost:8082/health/ready", "http://localhost:8082/health")
                .replace("EXPOSE 8081", "EXPOSE 8080");
        assertThat(ComposeCheck.problems(read("docker-compose.yml"), dockerfile, REPOSITORY))
                .contains(
                        "Dockerfile stage sink: HEALTHCHECK is not on http://localhost:8082/health/ready",
                        "Dockerfile stage topology: does not EXPOSE 8081");
    }

    @Test
    void shouldReportAWrongSmallComposeFileInEveryRespect() throws Exception {
        String wrong =
                """
                services:
                  kafka:
                    image: apache/kafka:4.1.1
                    environment:
                      KAFKA_PROCESS_ROLES: broker,controller
                  gateway:
                    image: splitguard/ingest-gateway:local
                    build: {context: ., dockerfile: deploy/docker/Dockerfile, target: gateway}
                    environment:
                      SPLITGUARD_TOPICS_PREFIX: custom.
                      SPLITGUARD_KAFKA_BOOTSTRAP_SERVERS: localhost:9092
                    healthcheck:
                      test: ["CMD", "curl", "-f", "http://localhost:8080/health"]
                    volumes:
                      - gateway-data:/data
                """;
        assertThat(problemsOf(wrong))
                .contains(
                        "expected 3 Kafka brokers (apache/kafka), found 1: [kafka]",
                        "kafka: no KAFKA_BROKER_RACK (broker.rack); each broker stands for a region",
                        "kafka: KAFKA_AUTO_CREATE_TOPICS_ENABLE is null, must be false",
                        "gateway: SPLITGUARD_TOPICS_PREFIX is not a setting of ingest-gateway",
                        "gateway: SPLITGUARD_REPLICATION_FACTOR is null, the catalog requires 3",
                        "gateway: bootstrap server 'localhost:9092' is none of the brokers [kafka]",
                        "gateway: health check on /health, not on readiness (/health/ready)",
                        "gateway: volume gateway-data is not declared under volumes",
                        "no service runs dedup-topology",
                        "no service runs checkpoint-topology",
                        "gateway: SPLITGUARD_GATEWAY_CHECKPOINT_QUERY_URL '' names fewer than two"
                                + " checkpoint-topology instances",
                        "no PostgreSQL primary with synchronous_standby_names");
    }
}
