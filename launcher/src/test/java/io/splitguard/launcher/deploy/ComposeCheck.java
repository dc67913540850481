package io.splitguard.launcher.deploy;

import io.splitguard.health.RegionSettings;
import io.splitguard.schemas.config.CommonSettings;
import io.splitguard.schemas.topics.TopicCatalog;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.Yaml;

/**
 * Checks a docker-compose file against the project's own truth and lists every difference: the
 * settings each service defines, the ports and health paths it really serves, the replication the
 * topic catalog requires, the Dockerfile that builds the images.
 */
final class ComposeCheck {

    private static final Pattern URL = Pattern.compile("https?://[^/:\\s]+:(\\d+)(/[^\\s\"',\\]]*)");
    /** Settings whose values every SplitGuard service of one deployment must share. */
    private static final List<String> MUST_AGREE = List.of(
            CommonSettings.BOOTSTRAP_SERVERS,
            CommonSettings.TOPIC_PREFIX,
            CommonSettings.SESSION_PARTITIONS,
            CommonSettings.DEDUP_WINDOW,
            CommonSettings.REPLICATION_FACTOR,
            CommonSettings.MIN_INSYNC_REPLICAS);

    /** The service keys of the compose specification this file may use; anything else is a typo. */
    private static final Set<String> SERVICE_KEYS = Set.of(
            "image",
            "build",
            "command",
            "entrypoint",
            "environment",
            "env_file",
            "ports",
            "expose",
            "volumes",
            "depends_on",
            "healthcheck",
            "restart",
            "hostname",
            "user",
            "stop_grace_period",
            "stop_signal",
            "working_dir",
            "labels",
            "networks",
            "deploy",
            "ulimits",
            "tmpfs",
            "cap_add",
            "cap_drop",
            "read_only",
            "shm_size",
            "secrets",
            "configs",
            "logging",
            "extra_hosts",
            "init",
            "container_name",
            "profiles");

    private static final Set<String> HEALTHCHECK_KEYS =
            Set.of("test", "interval", "timeout", "retries", "start_period", "start_interval", "disable");

    private final Map<String, Dockerfiles.Stage> stages;
    private final Path repository;
    private final List<String> problems = new ArrayList<>();
    /** State volume of each topology instance: instances must not share one. */
    private final Map<String, String> stateVolumes = new HashMap<>();
    /** Environment of each checkpoint-topology service, by service name: the gateway's query URLs must name them. */
    private final Map<String, Map<String, String>> checkpointEnvs = new HashMap<>();

    private ComposeCheck(String dockerfile, Path repository) {
        this.stages = Dockerfiles.stages(dockerfile);
        this.repository = repository;
    }

    /**
     * Every problem of {@code compose}; empty when there is none.
     *
     * @param dockerfile the text of deploy/docker/Dockerfile the services are built from
     * @param repository the directory relative bind mounts start from
     */
    static List<String> problems(String compose, String dockerfile, Path repository) {
        ComposeCheck check = new ComposeCheck(dockerfile, repository);
        check.check(new Yaml().load(compose));
        return check.problems;
    }

    private void problem(String text) {
        problems.add(text);
    }

    private void check(Map<String, Object> compose) {
        Map<String, Object> services = map(compose.get("services"));
        Set<String> declaredVolumes = map(compose.get("volumes")).keySet();
        Map<String, Map<String, Object>> brokers = new TreeMap<>();
        Map<String, ServiceKind> ours = new TreeMap<>();
        services.forEach((name, value) -> {
            Map<String, Object> service = map(value);
            String image = Objects.toString(service.get("image"), "");
            if (image.startsWith("apache/kafka")) {
                brokers.put(name, service);
            }
            ServiceKind.ofImage(image).ifPresent(kind -> ours.put(name, kind));
            checkVolumes(name, service, declaredVolumes);
            checkKeys(name, service);
        });
        checkBrokers(brokers);
        Map<String, Map<String, String>> envs = new TreeMap<>();
        ours.forEach((name, kind) -> {
            Map<String, String> env = env(map(services.get(name)).get("environment"));
            envs.put(name, env);
            if (kind == ServiceKind.CHECKPOINT) {
                checkpointEnvs.put(name, env);
            }
        });
        ours.forEach((name, kind) ->
                checkService(name, kind, map(services.get(name)), envs.get(name), services.keySet(), brokers));
        checkAgreement(envs);
        checkRegions(ours, envs);
        checkKindsPresent(ours, services);
        checkPostgres(services);
    }

    private void checkBrokers(Map<String, Map<String, Object>> brokers) {
        if (brokers.size() != 3) {
            problem("expected 3 Kafka brokers (apache/kafka), found " + brokers.size() + ": " + brokers.keySet());
        }
        Map<String, String> racks = new HashMap<>();
        Set<String> nodeIds = new HashSet<>();
        String required = Integer.toString(TopicCatalog.REQUIRED_REPLICATION_FACTOR);
        String requiredIsr = Integer.toString(TopicCatalog.REQUIRED_MIN_INSYNC_REPLICAS);
        brokers.forEach((name, broker) -> {
            Map<String, String> env = env(broker.get("environment"));
            if (!env.getOrDefault("KAFKA_PROCESS_ROLES", "").contains("broker")) {
                problem(name + ": KAFKA_PROCESS_ROLES does not include broker");
            }
            String rack = env.get("KAFKA_BROKER_RACK");
            if (rack == null || rack.isBlank()) {
                problem(name + ": no KAFKA_BROKER_RACK (broker.rack); each broker stands for a region");
            } else if (racks.containsKey(rack)) {
                problem(name + ": rack " + rack + " is also the rack of " + racks.get(rack));
            } else {
                racks.put(rack, name);
            }
            if (!nodeIds.add(env.getOrDefault("KAFKA_NODE_ID", ""))) {
                problem(name + ": KAFKA_NODE_ID missing or shared with another broker");
            }
            expect(name, env, "KAFKA_DEFAULT_REPLICATION_FACTOR", required);
            expect(name, env, "KAFKA_MIN_INSYNC_REPLICAS", requiredIsr);
            expect(name, env, "KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false");
            expect(name, env, "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", required);
            expect(name, env, "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", required);
            expect(name, env, "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", requiredIsr);
            String voters = env.getOrDefault("KAFKA_CONTROLLER_QUORUM_VOTERS", "");
            for (String other : brokers.keySet()) {
                if (!voters.contains("@" + other + ":")) {
                    problem(name + ": KAFKA_CONTROLLER_QUORUM_VOTERS does not name " + other);
                }
            }
            String logDirs = env.get("KAFKA_LOG_DIRS");
            if (logDirs == null || namedVolumeAt(broker, logDirs).isEmpty()) {
                problem(name + ": its log directory (KAFKA_LOG_DIRS) is not on a named volume");
            }
        });
    }

    private void expect(String service, Map<String, String> env, String name, String value) {
        if (!value.equals(env.get(name))) {
            problem(service + ": " + name + " is " + env.get(name) + ", must be " + value);
        }
    }

    private void checkService(
            String name,
            ServiceKind kind,
            Map<String, Object> service,
            Map<String, String> env,
            Set<String> serviceNames,
            Map<String, Map<String, Object>> brokers) {
        for (String variable : env.keySet()) {
            SettingNames.get().problem(kind, variable).ifPresent(p -> problem(name + ": " + p));
        }
        checkImage(name, kind, service);
        String rf = env.get(CommonSettings.REPLICATION_FACTOR);
        String isr = env.get(CommonSettings.MIN_INSYNC_REPLICAS);
        if (!Integer.toString(TopicCatalog.REQUIRED_REPLICATION_FACTOR).equals(rf)) {
            problem(name + ": " + CommonSettings.REPLICATION_FACTOR + " is " + rf + ", the catalog requires "
                    + TopicCatalog.REQUIRED_REPLICATION_FACTOR);
        }
        if (!Integer.toString(TopicCatalog.REQUIRED_MIN_INSYNC_REPLICAS).equals(isr)) {
            problem(name + ": " + CommonSettings.MIN_INSYNC_REPLICAS + " is " + isr + ", the catalog requires "
                    + TopicCatalog.REQUIRED_MIN_INSYNC_REPLICAS);
        }
        if ("true".equalsIgnoreCase(env.get(CommonSettings.ALLOW_REDUCED_DURABILITY))) {
            problem(name + ": " + CommonSettings.ALLOW_REDUCED_DURABILITY + " has no place in this deployment");
        }
        String bootstrap = env.getOrDefault(CommonSettings.BOOTSTRAP_SERVERS, "");
        for (String address : bootstrap.split(",")) {
            String host = address.trim().replaceAll(":\\d+$", "");
            if (!brokers.containsKey(host)) {
                problem(name + ": bootstrap server '" + address + "' is none of the brokers " + brokers.keySet());
            }
        }
        if (kind.servesHttp()) {
            checkHealth(name, kind, service, env);
        }
        if (kind.isStateful()) {
            checkTopology(name, kind, service, env);
        }
        if (kind == ServiceKind.GATEWAY) {
            checkCheckpointQueries(name, env);
        }
        if (kind == ServiceKind.SINK) {
            String url = env.getOrDefault("DATABASE_URL", "");
            Matcher host = Pattern.compile("//([^:/]+)").matcher(url);
            if (!host.find() || !serviceNames.contains(host.group(1))) {
                problem(name + ": DATABASE_URL '" + url + "' names no service of this file");
            }
        }
        if (kind != ServiceKind.ADMIN && !dependsOnCompleted(service, "topic-init")) {
            problem(name
                    + ": does not wait for topic-init to complete (depends_on ... service_completed_successfully)");
        }
    }

    private void checkImage(String name, ServiceKind kind, Map<String, Object> service) {
        Map<String, Object> build = map(service.get("build"));
        if (!"deploy/docker/Dockerfile".equals(build.get("dockerfile"))) {
            problem(name + ": not built from deploy/docker/Dockerfile");
            return;
        }
        Object target = build.get("target");
        if (!kind.target.equals(target)) {
            problem(name + ": image " + service.get("image") + " built from target " + target + ", not " + kind.target);
            return;
        }
        Dockerfiles.Stage stage = stages.get(kind.target);
        if (stage == null) {
            problem(name + ": deploy/docker/Dockerfile has no stage '" + kind.target + "'");
            return;
        }
        if (!stage.text().contains("/src/" + kind.module + "/target/lib")) {
            problem(name + ": stage " + kind.target + " does not take the jars of module " + kind.module);
        }
        for (String variable : stage.envNames()) {
            SettingNames.get()
                    .problem(kind, variable)
                    .ifPresent(p -> problem("Dockerfile stage " + kind.target + ": " + p));
        }
        mainClassProblem(kind, stage.mainClass()).ifPresent(p -> problem("Dockerfile stage " + kind.target + ": " + p));
        if (kind.servesHttp()) {
            // the image's own HEALTHCHECK and EXPOSE speak of the service's default port
            int port = ServiceFacts.defaultPort(kind);
            Matcher url = URL.matcher(stage.text());
            if (!url.find() || Integer.parseInt(url.group(1)) != port || !ServiceFacts.READY.equals(url.group(2))) {
                problem("Dockerfile stage " + kind.target + ": HEALTHCHECK is not on http://localhost:" + port
                        + ServiceFacts.READY);
            }
            if (!stage.text().matches("(?s).*\\nEXPOSE " + port + "\\s.*")) {
                problem("Dockerfile stage " + kind.target + ": does not EXPOSE " + port);
            }
        }
    }

    /** The entry point must be a class with a main method, in the service's own module. */
    private Optional<String> mainClassProblem(ServiceKind kind, String mainClass) {
        if (mainClass == null) {
            return Optional.of("no ENTRYPOINT naming a main class");
        }
        if (kind == ServiceKind.ADMIN) {
            // not on this module's class path: its source must exist
            Path source = repository.resolve(kind.module + "/src/main/java/" + mainClass.replace('.', '/') + ".java");
            return Files.isRegularFile(source) ? Optional.empty() : Optional.of(mainClass + " has no source " + source);
        }
        try {
            Class<?> type = Class.forName(mainClass, false, ComposeCheck.class.getClassLoader());
            Method main = type.getMethod("main", String[].class);
            if (!Modifier.isStatic(main.getModifiers())) {
                return Optional.of(mainClass + ".main is not static");
            }
            String location =
                    String.valueOf(type.getProtectionDomain().getCodeSource().getLocation());
            if (!location.contains(kind.module)) {
                return Optional.of(mainClass + " comes from " + location + ", not from module " + kind.module);
            }
            return Optional.empty();
        } catch (ClassNotFoundException e) {
            return Optional.of("main class " + mainClass + " does not exist");
        } catch (NoSuchMethodException e) {
            return Optional.of(mainClass + " has no main(String[])");
        }
    }

    private void checkHealth(String name, ServiceKind kind, Map<String, Object> service, Map<String, String> env) {
        int port = ServiceFacts.port(kind, env);
        String test = Objects.toString(map(service.get("healthcheck")).get("test"), "");
        Matcher url = URL.matcher(test);
        if (!url.find()) {
            problem(name + ": no HTTP health check");
        } else {
            if (Integer.parseInt(url.group(1)) != port) {
                problem(name + ": health check on port " + url.group(1) + ", the service listens on " + port);
            }
            String path = url.group(2);
            if (!ServiceFacts.serves(kind, path)) {
                problem(name + ": health check path " + path + " is not served by " + kind.module);
            } else if (!path.equals(ServiceFacts.READY)) {
                problem(name + ": health check on " + path + ", not on readiness (" + ServiceFacts.READY + ")");
            }
        }
        for (Object mapping : list(service.get("ports"))) {
            String text = String.valueOf(mapping);
            String container = text.substring(text.lastIndexOf(':') + 1).replaceAll("/.*", "");
            if (!container.equals(Integer.toString(port))) {
                problem(name + ": publishes container port " + container + ", the service listens on " + port);
            }
        }
    }

    private void checkTopology(String name, ServiceKind kind, Map<String, Object> service, Map<String, String> env) {
        String stateDir = env.get("SPLITGUARD_STATE_DIR");
        if (stateDir == null) {
            problem(name
                    + ": SPLITGUARD_STATE_DIR is not set (state would live in the container's temporary directory)");
        } else {
            Optional<String> volume = namedVolumeAt(service, stateDir).map(v -> v.split(":")[0]);
            if (volume.isEmpty()) {
                problem(name + ": its state directory " + stateDir + " is not on a named volume");
            } else if (stateVolumes.containsKey(volume.get())) {
                problem(name + ": shares state volume " + volume.get() + " with " + stateVolumes.get(volume.get()));
            } else {
                stateVolumes.put(volume.get(), name);
            }
        }
        String server = env.get(kind.applicationServerSetting);
        if (server == null) {
            problem(name + ": " + kind.applicationServerSetting + " is not set (application.server of the instance)");
        } else if (!server.equals(name + ":" + ServiceFacts.port(kind, env))) {
            problem(name + ": application.server " + server + " is not this service on its management port");
        }
    }

    /**
     * The gateway reads checkpoints through the checkpoint topology's management port: every URL of its
     * query setting must name a checkpoint-topology service of this file on that service's port, and
     * there must be more than one, so that a read survives the loss of an instance.
     */
    private void checkCheckpointQueries(String name, Map<String, String> env) {
        String setting = "SPLITGUARD_GATEWAY_CHECKPOINT_QUERY_URL";
        String urls = env.getOrDefault(setting, "");
        List<String> list = java.util.Arrays.stream(urls.split(","))
                .map(String::trim)
                .filter(u -> !u.isEmpty())
                .toList();
        if (list.size() < 2) {
            problem(name + ": " + setting + " '" + urls + "' names fewer than two checkpoint-topology instances");
        }
        for (String url : list) {
            Matcher m = Pattern.compile("^http://([^:/]+):(\\d+)/?$").matcher(url);
            if (!m.find()) {
                problem(name + ": " + setting + " has '" + url + "', not http://<service>:<port>");
                continue;
            }
            Map<String, String> target = checkpointEnvs.get(m.group(1));
            if (target == null) {
                problem(name + ": " + setting + " names " + m.group(1) + ", no checkpoint-topology service");
            } else if (Integer.parseInt(m.group(2)) != ServiceFacts.port(ServiceKind.CHECKPOINT, target)) {
                problem(name + ": " + setting + " asks " + m.group(1) + " on port " + m.group(2)
                        + ", not its management port " + ServiceFacts.port(ServiceKind.CHECKPOINT, target));
            }
        }
    }

    /** The settings every service must share have one value across all of them. */
    private void checkAgreement(Map<String, Map<String, String>> envs) {
        for (String setting : MUST_AGREE) {
            Map<String, String> values = new LinkedHashMap<>();
            envs.forEach((name, env) -> values.put(
                    name,
                    env.getOrDefault(
                            setting,
                            String.valueOf(
                                    CommonSettings.DEFINITION.configKeys().get(setting).defaultValue))));
            if (new HashSet<>(values.values()).size() > 1) {
                problem(setting + " must agree across the services: " + values);
            }
        }
    }

    /** Settings of the region quorum every region coordinator must share. */
    private static final List<String> QUORUM_MUST_AGREE = List.of(
            RegionSettings.REGIONS,
            RegionSettings.INITIAL_PRIMARY,
            RegionSettings.VOTE_INTERVAL,
            RegionSettings.VOTE_MAX_AGE,
            RegionSettings.QUORUM_APPLICATION_ID);

    /**
     * The region coordinators form one quorum: the same regions, first primary, vote timing and
     * application id; each a valid region of its own (two coordinators voting for one region would make
     * its vote the latest of two opinions; a region without one is a vote always missing).
     */
    private void checkRegions(Map<String, ServiceKind> ours, Map<String, Map<String, String>> envs) {
        Map<String, String> regionOf = new TreeMap<>();
        Map<String, List<String>> configured = new TreeMap<>();
        ours.forEach((name, kind) -> {
            if (kind != ServiceKind.COORDINATOR) {
                return;
            }
            try {
                RegionSettings settings = RegionSettings.fromEnv(envs.get(name));
                regionOf.put(name, settings.region());
                configured.put(name, settings.regions());
            } catch (IllegalArgumentException e) {
                problem(name + ": " + e.getMessage());
            }
        });
        for (String setting : QUORUM_MUST_AGREE) {
            Map<String, String> values = new TreeMap<>();
            regionOf.keySet().forEach(name -> values.put(name, envs.get(name).getOrDefault(setting, "")));
            if (new HashSet<>(values.values()).size() > 1) {
                problem(setting + " must agree across the region coordinators: " + values);
            }
        }
        Map<String, String> byRegion = new TreeMap<>();
        regionOf.forEach((name, region) -> {
            String other = byRegion.putIfAbsent(region, name);
            if (other != null) {
                problem(name + ": votes for region " + region + ", as " + other + " does");
            }
        });
        if (!regionOf.isEmpty() && new HashSet<>(configured.values()).size() == 1) {
            List<String> regions = configured.values().iterator().next();
            for (String region : regions) {
                if (!byRegion.containsKey(region)) {
                    problem("no region coordinator votes for region " + region + " of " + RegionSettings.REGIONS);
                }
            }
        }
    }

    private void checkKindsPresent(Map<String, ServiceKind> ours, Map<String, Object> services) {
        for (ServiceKind kind : ServiceKind.values()) {
            if (!ours.containsValue(kind)) {
                problem("no service runs " + kind.module);
            }
        }
        for (ServiceKind kind : ServiceKind.values()) {
            long instances = ours.values().stream().filter(k -> k == kind).count();
            if (kind.isStateful() && instances < 2) {
                problem("one " + kind.module + " instance only: a second one takes over its tasks (standby replicas)");
            }
        }
        Map<String, Object> init = map(services.get("topic-init"));
        if (ServiceKind.ofImage(Objects.toString(init.get("image"), null)).orElse(null) != ServiceKind.ADMIN
                || !String.valueOf(init.get("command")).matches("\\[topics, create]")) {
            problem("topic-init must run the admin image's 'topics create'");
        }
    }

    private void checkPostgres(Map<String, Object> services) {
        boolean synchronous = services.values().stream()
                .map(ComposeCheck::map)
                .filter(s -> Objects.toString(s.get("image"), "").startsWith("postgres"))
                .anyMatch(s -> String.valueOf(s.get("command")).matches("(?s).*synchronous_standby_names=\\S+.*"));
        if (!synchronous) {
            problem("no PostgreSQL primary with synchronous_standby_names");
        }
        boolean replica = services.values().stream()
                .map(ComposeCheck::map)
                .filter(s -> Objects.toString(s.get("image"), "").startsWith("postgres"))
                .flatMap(s -> list(s.get("volumes")).stream())
                .map(String::valueOf)
                .filter(v -> v.startsWith("./"))
                .map(v -> repository.resolve(v.substring(2, v.indexOf(':'))))
                .anyMatch(script -> readable(script).contains("pg_basebackup"));
        if (!replica) {
            problem("no PostgreSQL replica cloned with pg_basebackup");
        }
    }

    private static String readable(Path file) {
        try {
            return Files.isRegularFile(file) ? Files.readString(file) : "";
        } catch (java.io.IOException e) {
            return "";
        }
    }

    private void checkVolumes(String name, Map<String, Object> service, Set<String> declared) {
        for (Object entry : list(service.get("volumes"))) {
            String text = String.valueOf(entry);
            String source = text.substring(0, text.indexOf(':') < 0 ? text.length() : text.indexOf(':'));
            if (source.startsWith("./")) {
                if (!Files.exists(repository.resolve(source.substring(2)))) {
                    problem(name + ": bind mount " + source + " does not exist in the repository");
                }
            } else if (!source.startsWith("/") && !declared.contains(source)) {
                problem(name + ": volume " + source + " is not declared under volumes");
            }
        }
    }

    private void checkKeys(String name, Map<String, Object> service) {
        for (String key : service.keySet()) {
            if (!SERVICE_KEYS.contains(key)) {
                problem(name + ": '" + key + "' is no key of a compose service");
            }
        }
        for (String key : map(service.get("healthcheck")).keySet()) {
            if (!HEALTHCHECK_KEYS.contains(key)) {
                problem(name + ": '" + key + "' is no key of a compose health check");
            }
        }
    }

    private static Optional<String> namedVolumeAt(Map<String, Object> service, String path) {
        return list(service.get("volumes")).stream()
                .map(String::valueOf)
                .filter(v -> !v.startsWith(".") && !v.startsWith("/"))
                .filter(v -> v.split(":").length >= 2 && v.split(":")[1].equals(path))
                .findFirst();
    }

    private static boolean dependsOnCompleted(Map<String, Object> service, String other) {
        Object dependsOn = service.get("depends_on");
        return dependsOn instanceof Map<?, ?> m
                && m.get(other) instanceof Map<?, ?> condition
                && "service_completed_successfully".equals(condition.get("condition"));
    }

    /** A service's environment, in either of compose's two forms (map or list of NAME=value). */
    private static Map<String, String> env(Object environment) {
        Map<String, String> env = new TreeMap<>();
        if (environment instanceof Map<?, ?> m) {
            m.forEach((k, v) -> env.put(String.valueOf(k), v == null ? "" : String.valueOf(v)));
        } else {
            for (Object entry : list(environment)) {
                String text = String.valueOf(entry);
                int eq = text.indexOf('=');
                env.put(eq < 0 ? text : text.substring(0, eq), eq < 0 ? "" : text.substring(eq + 1));
            }
        }
        return env;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        return value instanceof Map<?, ?> ? (Map<String, Object>) value : Map.of();
    }

    private static List<?> list(Object value) {
        return value instanceof List<?> l ? l : List.of();
    }
}
