package io.splitguard.launcher.deploy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.splitguard.schemas.config.CommonSettings;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.topology.config.DedupConfig;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.yaml.snakeyaml.Yaml;

/**
 * Checks Kubernetes manifests: each document must read into fabric8's Kubernetes model without a
 * field the model does not know, and the SplitGuard workloads must use only settings their service
 * defines, probe the paths and ports it really serves, demand the replication the topic catalog
 * requires, and (the topology) keep its state on a per-pod persistent volume with a stable identity.
 */
final class ManifestsCheck {

    static final Set<String> REQUIRED_KINDS =
            Set.of("StatefulSet", "Deployment", "Service", "PodDisruptionBudget", "ConfigMap", "Secret");
    private static final String KUSTOMIZATION = "kustomization.yaml";
    /** Binds the documents SnakeYAML reads (a file may hold several) to the model's classes by apiVersion and kind. */
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A workload's pods, where they were found. */
    private record Workload(String where, HasMetadata resource, PodTemplateSpec template) {}

    private final List<String> problems = new ArrayList<>();
    private final List<HasMetadata> resources = new ArrayList<>();
    private final Map<HasMetadata, String> origin = new HashMap<>();
    private final Map<String, Map<String, String>> configMaps = new HashMap<>();
    private final Map<String, Set<String>> secrets = new HashMap<>();

    private ManifestsCheck() {}

    /** Every problem of the manifests (file name to text); empty when there is none. */
    static List<String> problems(Map<String, String> files) {
        ManifestsCheck check = new ManifestsCheck();
        check.check(files);
        return check.problems;
    }

    private void problem(String text) {
        problems.add(text);
    }

    private void check(Map<String, String> files) {
        files.forEach((file, text) -> {
            if (!file.equals(KUSTOMIZATION)) {
                read(file, text);
            }
        });
        if (files.containsKey(KUSTOMIZATION)) {
            checkKustomization(files.get(KUSTOMIZATION), files.keySet());
        }
        Set<String> kinds = new TreeSet<>();
        resources.forEach(r -> kinds.add(r.getKind()));
        for (String kind : REQUIRED_KINDS) {
            if (!kinds.contains(kind)) {
                problem("no " + kind + " among the manifests (found " + kinds + ")");
            }
        }
        for (HasMetadata r : resources) {
            if (r instanceof ConfigMap cm) {
                configMaps.put(cm.getMetadata().getName(), cm.getData() == null ? Map.of() : cm.getData());
            } else if (r instanceof Secret s) {
                Set<String> keys = new HashSet<>();
                if (s.getData() != null) {
                    keys.addAll(s.getData().keySet());
                }
                if (s.getStringData() != null) {
                    keys.addAll(s.getStringData().keySet());
                }
                secrets.put(s.getMetadata().getName(), keys);
            }
        }
        List<Workload> workloads = workloads();
        for (Workload workload : workloads) {
            checkWorkload(workload);
        }
        for (HasMetadata r : resources) {
            if (r instanceof Service service) {
                checkService(service, workloads);
            } else if (r instanceof PodDisruptionBudget pdb) {
                checkBudget(pdb, workloads);
            }
        }
        for (Workload workload : workloads) {
            boolean longRunning = !(workload.resource() instanceof Job);
            boolean covered = resources.stream()
                    .filter(PodDisruptionBudget.class::isInstance)
                    .map(PodDisruptionBudget.class::cast)
                    .anyMatch(pdb -> selects(pdb.getSpec().getSelector().getMatchLabels(), workload));
            if (longRunning && !covered) {
                problem(workload.where() + ": no PodDisruptionBudget selects its pods");
            }
        }
    }

    private void read(String file, String text) {
        int index = 0;
        try {
            for (Object tree : new Yaml().loadAll(text)) {
                index++;
                if (tree == null) {
                    continue;
                }
                KubernetesResource document = JSON.convertValue(tree, KubernetesResource.class);
                if (!(document instanceof HasMetadata resource)
                        || resource.getClass().getSimpleName().startsWith("Generic")) {
                    problem(file + " #" + index + ": not a kind of the Kubernetes model: " + describe(document));
                    continue;
                }
                String where = file + " " + resource.getKind() + "/"
                        + resource.getMetadata().getName();
                unknownFields(resource, "", where);
                resources.add(resource);
                origin.put(resource, where);
            }
        } catch (RuntimeException e) {
            problem(file + " #" + index + ": does not read as a Kubernetes resource: " + e.getMessage());
        }
    }

    private static String describe(KubernetesResource document) {
        return document instanceof HasMetadata h
                ? h.getApiVersion() + " " + h.getKind()
                : document.getClass().getName();
    }

    /** Fields the model does not know land in additionalProperties: a typo, or a field in the wrong place. */
    private void unknownFields(Object node, String path, String where) {
        if (node instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                unknownFields(list.get(i), path + "[" + i + "]", where);
            }
            return;
        }
        if (node instanceof Map<?, ?> map) {
            map.forEach((k, v) -> unknownFields(v, path + "." + k, where));
            return;
        }
        if (node == null || !node.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        for (Method getter : node.getClass().getMethods()) {
            if (getter.getParameterCount() != 0
                    || !getter.getName().startsWith("get")
                    || getter.getDeclaringClass() == Object.class
                    || getter.getDeclaringClass().isInterface()) {
                continue;
            }
            Object value;
            try {
                value = getter.invoke(node);
            } catch (IllegalAccessException | InvocationTargetException e) {
                continue;
            }
            String field = Character.toLowerCase(getter.getName().charAt(3))
                    + getter.getName().substring(4);
            if (field.equals("additionalProperties")) {
                if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    problem(where + ": unknown field(s) " + extra.keySet() + " at "
                            + (path.isEmpty() ? "top level" : path.substring(1)));
                }
            } else {
                unknownFields(value, path + "." + field, where);
            }
        }
    }

    private void checkKustomization(String text, Set<String> files) {
        Map<String, Object> kustomization = new Yaml().load(text);
        Object listed = kustomization.get("resources");
        Set<String> resources = new TreeSet<>();
        if (listed instanceof List<?> list) {
            list.forEach(r -> resources.add(String.valueOf(r)));
        }
        Set<String> manifests = new TreeSet<>(files);
        manifests.remove(KUSTOMIZATION);
        if (!resources.equals(manifests)) {
            problem(KUSTOMIZATION + " lists " + resources + ", the directory holds " + manifests);
        }
    }

    private List<Workload> workloads() {
        List<Workload> workloads = new ArrayList<>();
        for (HasMetadata r : resources) {
            PodTemplateSpec template = null;
            if (r instanceof Deployment d) {
                template = d.getSpec().getTemplate();
            } else if (r instanceof StatefulSet s) {
                template = s.getSpec().getTemplate();
            } else if (r instanceof Job j) {
                template = j.getSpec().getTemplate();
            }
            if (template != null) {
                workloads.add(new Workload(origin.get(r), r, template));
            }
        }
        return workloads;
    }

    private void checkWorkload(Workload workload) {
        for (Container container : workload.template().getSpec().getContainers()) {
            Optional<ServiceKind> kind = ServiceKind.ofImage(container.getImage());
            if (kind.isEmpty()) {
                continue;
            }
            String where = workload.where() + " container " + container.getName();
            Map<String, String> env = env(where, container);
            for (String name : env.keySet()) {
                SettingNames.get().problem(kind.get(), name).ifPresent(p -> problem(where + ": " + p));
            }
            String rf = env.get(CommonSettings.REPLICATION_FACTOR);
            String isr = env.get(CommonSettings.MIN_INSYNC_REPLICAS);
            if (!Integer.toString(TopicCatalog.REQUIRED_REPLICATION_FACTOR).equals(rf)) {
                problem(where + ": " + CommonSettings.REPLICATION_FACTOR + " is " + rf + ", the catalog requires "
                        + TopicCatalog.REQUIRED_REPLICATION_FACTOR);
            }
            if (!Integer.toString(TopicCatalog.REQUIRED_MIN_INSYNC_REPLICAS).equals(isr)) {
                problem(where + ": " + CommonSettings.MIN_INSYNC_REPLICAS + " is " + isr + ", the catalog requires "
                        + TopicCatalog.REQUIRED_MIN_INSYNC_REPLICAS);
            }
            if (kind.get().servesHttp()) {
                checkPorts(where, kind.get(), container, env);
            }
            if (kind.get().isStateful()) {
                checkTopology(where, kind.get(), workload, container, env);
            }
            if (kind.get() == ServiceKind.GATEWAY) {
                checkCheckpointQueries(where, env);
            }
        }
    }

    /**
     * The container's environment as the pod will see it: envFrom first, then env; values from
     * Secrets stand as {@code <secret>}. References to missing ConfigMaps, Secrets or keys are problems.
     */
    private Map<String, String> env(String where, Container container) {
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvFromSource from : Objects.requireNonNullElse(container.getEnvFrom(), List.<EnvFromSource>of())) {
            if (from.getConfigMapRef() != null) {
                Map<String, String> data = configMaps.get(from.getConfigMapRef().getName());
                if (data == null) {
                    problem(where + ": envFrom names ConfigMap "
                            + from.getConfigMapRef().getName() + ", which is not there");
                } else {
                    env.putAll(data);
                }
            }
            if (from.getSecretRef() != null) {
                Set<String> keys = secrets.get(from.getSecretRef().getName());
                if (keys == null) {
                    problem(where + ": envFrom names Secret "
                            + from.getSecretRef().getName() + ", which is not there");
                } else {
                    keys.forEach(k -> env.put(k, "<secret>"));
                }
            }
        }
        for (EnvVar variable : Objects.requireNonNullElse(container.getEnv(), List.<EnvVar>of())) {
            String name = variable.getName();
            if (variable.getValueFrom() != null && variable.getValueFrom().getSecretKeyRef() != null) {
                var ref = variable.getValueFrom().getSecretKeyRef();
                if (!secrets.getOrDefault(ref.getName(), Set.of()).contains(ref.getKey())) {
                    problem(where + ": " + name + " refers to key " + ref.getKey() + " of Secret " + ref.getName()
                            + ", which is not there");
                }
                env.put(name, "<secret>");
            } else if (variable.getValueFrom() != null
                    && variable.getValueFrom().getConfigMapKeyRef() != null) {
                var ref = variable.getValueFrom().getConfigMapKeyRef();
                String value = configMaps.getOrDefault(ref.getName(), Map.of()).get(ref.getKey());
                if (value == null) {
                    problem(where + ": " + name + " refers to key " + ref.getKey() + " of ConfigMap " + ref.getName()
                            + ", which is not there");
                }
                env.put(name, value);
            } else if (variable.getValueFrom() != null
                    && variable.getValueFrom().getFieldRef() != null) {
                env.put(name, "<field " + variable.getValueFrom().getFieldRef().getFieldPath() + ">");
            } else {
                env.put(name, variable.getValue());
                if (name.matches(".*(PASSWORD|SECRET).*") && variable.getValue() != null) {
                    problem(where + ": " + name + " is written into the manifest; take it from a Secret");
                }
            }
        }
        return env;
    }

    private void checkPorts(String where, ServiceKind kind, Container container, Map<String, String> env) {
        int port = ServiceFacts.port(kind, env);
        boolean declared = Objects.requireNonNullElse(container.getPorts(), List.<ContainerPort>of()).stream()
                .anyMatch(p -> p.getContainerPort() == port);
        if (!declared) {
            problem(where + ": declares no container port " + port + ", where " + kind.module + " listens");
        }
        checkProbe(where, "livenessProbe", container.getLivenessProbe(), ServiceFacts.LIVE, kind, container, port);
        checkProbe(where, "readinessProbe", container.getReadinessProbe(), ServiceFacts.READY, kind, container, port);
        if (container.getStartupProbe() != null) {
            checkProbe(where, "startupProbe", container.getStartupProbe(), ServiceFacts.LIVE, kind, container, port);
        }
    }

    private void checkProbe(
            String where, String which, Probe probe, String expected, ServiceKind kind, Container container, int port) {
        if (probe == null || probe.getHttpGet() == null) {
            problem(where + ": no HTTP " + which);
            return;
        }
        String path = probe.getHttpGet().getPath();
        if (!ServiceFacts.serves(kind, path)) {
            problem(where + ": " + which + " path " + path + " is not served by " + kind.module);
        } else if (!expected.equals(path)) {
            problem(where + ": " + which + " on " + path + ", should be " + expected);
        }
        int probed = resolve(probe.getHttpGet().getPort(), container);
        if (probed != port) {
            problem(where + ": " + which + " on port " + show(probe.getHttpGet().getPort()) + " (" + probed + "), "
                    + kind.module + " listens on " + port);
        }
    }

    private static String show(IntOrString port) {
        return port == null ? "none" : port.getStrVal() != null ? port.getStrVal() : String.valueOf(port.getIntVal());
    }

    /** A port by number or by the name of one of the container's ports; -1 when the name is unknown. */
    private static int resolve(IntOrString port, Container container) {
        if (port == null) {
            return -1;
        }
        if (port.getStrVal() == null) {
            return port.getIntVal();
        }
        return Objects.requireNonNullElse(container.getPorts(), List.<ContainerPort>of()).stream()
                .filter(p -> port.getStrVal().equals(p.getName()))
                .mapToInt(ContainerPort::getContainerPort)
                .findFirst()
                .orElse(-1);
    }

    private void checkTopology(
            String where, ServiceKind kind, Workload workload, Container container, Map<String, String> env) {
        if (!(workload.resource() instanceof StatefulSet set)) {
            problem(where + ": the topology must run as a StatefulSet (stable identity, its own state volume)");
            return;
        }
        String stateDir = env.get(DedupConfig.STATE_DIR);
        List<String> claims =
                Objects.requireNonNullElse(set.getSpec().getVolumeClaimTemplates(), List.<PersistentVolumeClaim>of())
                        .stream()
                        .map(c -> c.getMetadata().getName())
                        .toList();
        if (claims.isEmpty()) {
            problem(where + ": no volumeClaimTemplates: the state would not survive the pod");
        }
        if (stateDir == null) {
            problem(where + ": " + DedupConfig.STATE_DIR + " is not set");
        } else {
            boolean mounted = Objects.requireNonNullElse(container.getVolumeMounts(), List.<VolumeMount>of()).stream()
                    .anyMatch(m -> claims.contains(m.getName()) && stateDir.equals(m.getMountPath()));
            if (!mounted) {
                problem(where + ": no volume claim template is mounted at " + DedupConfig.STATE_DIR + " (" + stateDir
                        + ")");
            }
        }
        String standby = env.getOrDefault(
                DedupConfig.STANDBY_REPLICAS,
                env.getOrDefault(DedupConfig.STREAMS_PREFIX + "NUM_STANDBY_REPLICAS", "0"));
        if (!standby.matches("[1-9]\\d*")) {
            problem(where + ": no standby replicas (" + DedupConfig.STANDBY_REPLICAS + " is " + standby + ")");
        }
        checkApplicationServer(where, kind, container, env);
        String serviceName = set.getSpec().getServiceName();
        boolean headless = resources.stream()
                .filter(Service.class::isInstance)
                .map(Service.class::cast)
                .anyMatch(s -> s.getMetadata().getName().equals(serviceName)
                        && "None".equals(s.getSpec().getClusterIP())
                        && selects(s.getSpec().getSelector(), workload));
        if (!headless) {
            problem(where + ": serviceName " + serviceName + " is no headless Service selecting its pods");
        }
    }

    /** application.server must name each pod by itself: its own name, set from the pod's metadata before use. */
    private void checkApplicationServer(String where, ServiceKind kind, Container container, Map<String, String> env) {
        String setting = kind.applicationServerSetting;
        String server = env.get(setting);
        if (server == null) {
            problem(where + ": " + setting + " is not set (application.server per pod)");
            return;
        }
        List<String> order = container.getEnv().stream().map(EnvVar::getName).toList();
        java.util.regex.Matcher reference =
                java.util.regex.Pattern.compile("\\$\\(([A-Z_]+)\\)").matcher(server);
        if (!reference.find()) {
            problem(where + ": " + setting + " '" + server + "' is the same for every pod; use $(POD_NAME)");
            return;
        }
        String variable = reference.group(1);
        if (!("<field metadata.name>".equals(env.get(variable)) && order.indexOf(variable) < order.indexOf(setting))) {
            problem(where + ": " + setting + " uses $(" + variable + "), which is not the pod's metadata.name"
                    + " defined before it");
        }
        if (!server.endsWith(":" + ServiceFacts.port(kind, env))) {
            problem(where + ": " + setting + " '" + server + "' is not on the management port");
        }
    }

    /**
     * The gateway reads checkpoints through the checkpoint topology's management port: its query URL must
     * name a Service of these manifests that selects checkpoint-topology pods, on one of its ports.
     */
    private void checkCheckpointQueries(String where, Map<String, String> env) {
        String setting = "SPLITGUARD_GATEWAY_CHECKPOINT_QUERY_URL";
        String urls = env.getOrDefault(setting, "");
        if (urls.isBlank()) {
            problem(where + ": " + setting + " is not set (checkpoint reads would answer 503)");
            return;
        }
        for (String url : urls.split(",")) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("^http://([^.:/]+)[^:/]*:(\\d+)/?$")
                    .matcher(url.trim());
            if (!m.find()) {
                problem(where + ": " + setting + " has '" + url.trim() + "', not http://<service>:<port>");
                continue;
            }
            String name = m.group(1);
            int port = Integer.parseInt(m.group(2));
            Optional<Service> service = resources.stream()
                    .filter(Service.class::isInstance)
                    .map(Service.class::cast)
                    .filter(s -> s.getMetadata().getName().equals(name))
                    .findFirst();
            boolean toCheckpoints = service.isPresent()
                    && workloads().stream()
                            .filter(w -> selects(service.get().getSpec().getSelector(), w))
                            .flatMap(w -> w.template().getSpec().getContainers().stream())
                            .anyMatch(c -> ServiceKind.ofImage(c.getImage()).orElse(null) == ServiceKind.CHECKPOINT);
            if (!toCheckpoints) {
                problem(where + ": " + setting + " names " + name + ", no Service selecting checkpoint-topology pods");
            } else if (service.get().getSpec().getPorts().stream().noneMatch(p -> p.getPort() == port)) {
                problem(where + ": " + setting + " asks " + name + " on port " + port + ", which it does not serve");
            }
        }
    }

    private void checkService(Service service, List<Workload> workloads) {
        String where = origin.get(service);
        Map<String, String> selector = service.getSpec().getSelector();
        List<Workload> selected =
                workloads.stream().filter(w -> selects(selector, w)).toList();
        if (selected.isEmpty()) {
            problem(where + ": selects no pods of these manifests");
            return;
        }
        for (ServicePort port : service.getSpec().getPorts()) {
            IntOrString target = port.getTargetPort() == null ? new IntOrString(port.getPort()) : port.getTargetPort();
            boolean found = selected.stream()
                    .flatMap(w -> w.template().getSpec().getContainers().stream())
                    .anyMatch(c -> resolve(target, c) > 0);
            if (!found) {
                problem(where + ": targetPort " + show(target) + " is no port of its pods");
            }
        }
    }

    private void checkBudget(PodDisruptionBudget pdb, List<Workload> workloads) {
        if (pdb.getSpec().getSelector() == null
                || workloads.stream()
                        .noneMatch(w -> selects(pdb.getSpec().getSelector().getMatchLabels(), w))) {
            problem(origin.get(pdb) + ": selects no pods of these manifests");
        }
    }

    private static boolean selects(Map<String, String> selector, Workload workload) {
        Map<String, String> labels = workload.template().getMetadata() == null
                ? null
                : workload.template().getMetadata().getLabels();
        return selector != null
                && !selector.isEmpty()
                && labels != null
                && labels.entrySet().containsAll(selector.entrySet());
    }
}
