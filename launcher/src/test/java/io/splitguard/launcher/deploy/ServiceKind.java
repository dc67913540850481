package io.splitguard.launcher.deploy;

import java.util.Arrays;
import java.util.Optional;

/**
 * The SplitGuard programs a deployment runs, recognised by the repository of their image
 * ({@code splitguard/dedup-topology:...}) and built by the target of the same name in
 * {@code deploy/docker/Dockerfile}.
 */
enum ServiceKind {
    GATEWAY("ingest-gateway", "gateway", "MICRONAUT_SERVER_PORT", null),
    TOPOLOGY("dedup-topology", "topology", "SPLITGUARD_MANAGEMENT_PORT", "SPLITGUARD_STREAMS_APPLICATION_SERVER"),
    CHECKPOINT(
            "checkpoint-topology",
            "checkpoint",
            "SPLITGUARD_MANAGEMENT_PORT",
            "SPLITGUARD_CHECKPOINT_APPLICATION_SERVER"),
    SINK("postgres-sink", "sink", "SPLITGUARD_MANAGEMENT_PORT", null),
    /**
     * One per region: the region quorum topology keeps a few records of Streams state, restored from its
     * changelog in moments, with no interactive queries and its standby in another region, so it needs no
     * {@code application.server}, no stable identity and no second instance per region.
     */
    COORDINATOR("region-coordinator", "coordinator", "SPLITGUARD_MANAGEMENT_PORT", null),
    /** The operator's CLI: no port, run to completion. */
    ADMIN("admin", "admin", null, null);

    /** Maven module and image repository name. */
    final String module;
    /** Target in deploy/docker/Dockerfile. */
    final String target;
    /** The setting that moves the port serving health and metrics; null for the CLI. */
    final String portSetting;
    /**
     * For a Kafka Streams service with state (RocksDB stores, standby replicas, interactive queries):
     * the setting of its {@code application.server}; null for the stateless ones.
     */
    final String applicationServerSetting;

    ServiceKind(String module, String target, String portSetting, String applicationServerSetting) {
        this.module = module;
        this.target = target;
        this.portSetting = portSetting;
        this.applicationServerSetting = applicationServerSetting;
    }

    /** A Kafka Streams service with local state: it needs its own state volume, standbys, a stable identity. */
    boolean isStateful() {
        return applicationServerSetting != null;
    }

    boolean servesHttp() {
        return portSetting != null;
    }

    /** The kind an image reference belongs to: {@code splitguard/postgres-sink:0.1.0} is {@link #SINK}. */
    static Optional<ServiceKind> ofImage(String image) {
        if (image == null) {
            return Optional.empty();
        }
        String withoutTag = image.replaceAll(":[^/:]*$", "");
        String repository = withoutTag.substring(withoutTag.lastIndexOf('/') + 1);
        if (!withoutTag.contains("splitguard")) {
            return Optional.empty();
        }
        return Arrays.stream(values()).filter(k -> k.module.equals(repository)).findFirst();
    }
}
