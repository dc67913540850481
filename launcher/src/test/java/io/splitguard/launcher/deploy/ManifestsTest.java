package io.splitguard.launcher.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The manifests in deploy/k8s read into fabric8's Kubernetes model and match the services; each
 * check is shown to fail on manifests wrong in that one respect.
 */
class ManifestsTest {

    private static final Path DIRECTORY = ComposeFileTest.REPOSITORY.resolve("deploy/k8s");

    private static Map<String, String> manifests() throws Exception {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> paths = Files.list(DIRECTORY)) {
            for (Path path : paths.filter(p -> p.toString().endsWith(".yaml")).toList()) {
                files.put(path.getFileName().toString(), Files.readString(path, StandardCharsets.UTF_8));
            }
        }
        return files;
    }

    /** The real manifests with one text of one file replaced, failing if the text is not there. */
    private static List<String> problemsWith(String file, String from, String to) throws Exception {
        Map<String, String> files = manifests();
        assertThat(files.get(file)).contains(from);
        files.put(file, files.get(file).replaceFirst(Pattern.quote(from), Matcher.quoteReplacement(to)));
        return ManifestsCheck.problems(files);
    }

    @Test
    void shouldFindNothingWrongWithTheManifests() throws Exception {
        assertThat(manifests())
                .containsKeys(
                        "topology.yaml",
                        "checkpoint.yaml",
                        "gateway.yaml",
                        "sink.yaml",
                        "coordinator.yaml",
                        "config.yaml");
        assertThat(ManifestsCheck.problems(manifests())).isEmpty();
    }

    @Test
    void shouldReportACoordinatorProbeOrSettingItDoesNotServeWhenTheManifestIsWrong() throws Exception {
        String where = "coordinator.yaml Deployment/region-coordinator container region-coordinator: ";
        assertThat(problemsWith(
                        "coordinator.yaml",
                        "httpGet: {path: /health/ready, port: management}",
                        "httpGet: {path: /healthz, port: management}"))
                .contains(where + "readinessProbe path /healthz is not served by region-coordinator");
        assertThat(problemsWith("coordinator.yaml", "containerPort: 8084", "containerPort: 8081"))
                .contains(where + "declares no container port 8084, where region-coordinator listens");
        assertThat(problemsWith("coordinator.yaml", "- name: SPLITGUARD_REGION\n", "- name: SPLITGUARD_REGION_NAME\n"))
                .contains(where + "SPLITGUARD_REGION_NAME is not a setting of region-coordinator");
        assertThat(problemsWith(
                        "coordinator.yaml",
                        "kind: PodDisruptionBudget\nmetadata:\n  name: region-coordinator",
                        "kind: ConfigMap\nmetadata:\n  name: region-coordinator"))
                .anySatisfy(p -> assertThat(p).contains("Deployment/region-coordinator: no PodDisruptionBudget"));
    }

    @Test
    void shouldReportCheckpointReadsThatReachNoCheckpointTopologyWhenTheQueryUrlIsWrong() throws Exception {
        String url = "http://checkpoint-query.splitguard.svc.cluster.local:8083";
        assertThat(problemsWith("gateway.yaml", url, "http://dedup-topology.splitguard.svc.cluster.local:8081"))
                .anySatisfy(p -> assertThat(p)
                        .contains("SPLITGUARD_GATEWAY_CHECKPOINT_QUERY_URL names dedup-topology, no Service selecting"
                                + " checkpoint-topology pods"));
        assertThat(problemsWith("gateway.yaml", url, "http://checkpoint-query.splitguard.svc.cluster.local:9999"))
                .anySatisfy(p -> assertThat(p).contains("asks checkpoint-query on port 9999, which it does not serve"));
        assertThat(problemsWith(
                        "checkpoint.yaml",
                        "value: $(POD_NAME).checkpoint-topology.splitguard.svc.cluster.local:8083",
                        "value: checkpoint-topology-0.checkpoint-topology.splitguard.svc.cluster.local:8083"))
                .anySatisfy(p -> assertThat(p).contains("is the same for every pod; use $(POD_NAME)"));
    }

    @Test
    void shouldReportAnEnvironmentNameTheServiceDoesNotDefine() throws Exception {
        assertThat(problemsWith("topology.yaml", "name: SPLITGUARD_STANDBY_REPLICAS", "name: SPLITGUARD_STANDBYS"))
                .contains("topology.yaml StatefulSet/dedup-topology container dedup-topology:"
                        + " SPLITGUARD_STANDBYS is not a setting of dedup-topology")
                .contains("topology.yaml StatefulSet/dedup-topology container dedup-topology:"
                        + " no standby replicas (SPLITGUARD_STANDBY_REPLICAS is 0)");
        assertThat(problemsWith("config.yaml", "SPLITGUARD_TOPIC_PREFIX:", "SPLITGUARD_TOPICS_PREFIX:"))
                .contains("gateway.yaml Deployment/ingest-gateway container ingest-gateway:"
                        + " SPLITGUARD_TOPICS_PREFIX is not a setting of ingest-gateway");
    }

    @Test
    void shouldReportProbesOnPathsOrPortsTheServiceDoesNotServe() throws Exception {
        assertThat(problemsWith(
                        "sink.yaml", "{path: /health/ready, port: management}", "{path: /ready, port: management}"))
                .contains("sink.yaml Deployment/postgres-sink container postgres-sink: readinessProbe path /ready"
                        + " is not served by postgres-sink");
        assertThat(problemsWith(
                        "gateway.yaml",
                        "{path: /health/live, port: http}\n            periodSeconds: 10",
                        "{path: /health/ready, port: http}\n            periodSeconds: 10"))
                .contains("gateway.yaml Deployment/ingest-gateway container ingest-gateway: livenessProbe on"
                        + " /health/ready, should be /health/live");
        assertThat(problemsWith("topology.yaml", "value: \"8081\"", "value: \"9081\""))
                .contains("topology.yaml StatefulSet/dedup-topology container dedup-topology: livenessProbe on port"
                        + " management (8081), dedup-topology listens on 9081");
    }

    @Test
    void shouldReportATopologyWithoutPersistentStateOrStableIdentity() throws Exception {
        assertThat(problemsWith("topology.yaml", "mountPath: /var/lib/splitguard/state", "mountPath: /data"))
                .contains("topology.yaml StatefulSet/dedup-topology container dedup-topology: no volume claim template"
                        + " is mounted at SPLITGUARD_STATE_DIR (/var/lib/splitguard/state)");
        assertThat(problemsWith("topology.yaml", "value: $(POD_NAME).dedup-topology", "value: dedup-topology"))
                .anySatisfy(p -> assertThat(p).contains("is the same for every pod; use $(POD_NAME)"));
        assertThat(problemsWith("topology.yaml", "clusterIP: None", "type: ClusterIP"))
                .contains("topology.yaml StatefulSet/dedup-topology container dedup-topology: serviceName"
                        + " dedup-topology is no headless Service selecting its pods");
    }

    @Test
    void shouldReportFieldsTheKubernetesModelDoesNotKnow() throws Exception {
        assertThat(problemsWith("gateway.yaml", "readinessProbe:", "readinesProbe:"))
                .contains("gateway.yaml Deployment/ingest-gateway: unknown field(s) [readinesProbe] at"
                        + " spec.template.spec.containers[0]")
                .contains("gateway.yaml Deployment/ingest-gateway container ingest-gateway: no HTTP readinessProbe");
    }

    @Test
    void shouldReportSecretsWrittenIntoTheManifestAndMissingReferences() throws Exception {
        assertThat(problemsWith("sink.yaml", "key: database-password}", "key: db-password}"))
                .contains("sink.yaml Deployment/postgres-sink container postgres-sink: DATABASE_PASSWORD refers to key"
                        + " db-password of Secret splitguard-secrets, which is not there");
        assertThat(problemsWith(
                        "config.yaml", "SPLITGUARD_REPLICATION_FACTOR: \"3\"", "SPLITGUARD_REPLICATION_FACTOR: \"1\""))
                .contains(
                        "sink.yaml Deployment/postgres-sink container postgres-sink: SPLITGUARD_REPLICATION_FACTOR is 1,"
                                + " the catalog requires 3");
    }

    @Test
    void shouldReportASmallWrongManifestInEveryRespect() {
        String wrong =
                """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: dedup-topology
                spec:
                  selector:
                    matchLabels: {app: topology}
                  template:
                    metadata:
                      labels: {app: topology}
                    spec:
                      containers:
                        - name: topology
                          image: splitguard/dedup-topology:1.0
                          env:
                            - name: SPLITGUARD_TOPIC_PREFIXES
                              value: x.
                            - name: DATABASE_PASSWORD
                              value: hunter2
                          livenessProbe:
                            httpGet: {path: /healthz, port: 8081}
                ---
                apiVersion: v1
                kind: Service
                metadata:
                  name: topology
                spec:
                  selector: {app: gateway}
                  ports:
                    - port: 80
                """;
        assertThat(ManifestsCheck.problems(Map.of("wrong.yaml", wrong)))
                .contains(
                        "no StatefulSet among the manifests (found [Deployment, Service])",
                        "no Secret among the manifests (found [Deployment, Service])",
                        "wrong.yaml Deployment/dedup-topology container topology: SPLITGUARD_TOPIC_PREFIXES is not a"
                                + " setting of dedup-topology",
                        "wrong.yaml Deployment/dedup-topology container topology: DATABASE_PASSWORD is not a setting"
                                + " of dedup-topology",
                        "wrong.yaml Deployment/dedup-topology container topology: DATABASE_PASSWORD is written into"
                                + " the manifest; take it from a Secret",
                        "wrong.yaml Deployment/dedup-topology container topology: SPLITGUARD_REPLICATION_FACTOR is"
                                + " null, the catalog requires 3",
                        "wrong.yaml Deployment/dedup-topology container topology: declares no container port 8081,"
                                + " where dedup-topology listens",
                        "wrong.yaml Deployment/dedup-topology container topology: livenessProbe path /healthz is not"
                                + " served by dedup-topology",
                        "wrong.yaml Deployment/dedup-topology container topology: no HTTP readinessProbe",
                        "wrong.yaml Deployment/dedup-topology container topology: the topology must run as a"
                                + " StatefulSet (stable identity, its own state volume)",
                        "wrong.yaml Service/topology: selects no pods of these manifests",
                        "wrong.yaml Deployment/dedup-topology: no PodDisruptionBudget selects its pods");
    }
}
