package io.splitguard.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker (KRaft, combined broker and controller) running inside this JVM.
 * It keeps its data directory and ports across {@link #stop()} and {@link #start()}, so a test or
 * the local launcher can take Kafka away and bring the same cluster back.
 *
 * <p>Single-node settings: internal topics have replication factor 1, otherwise consumer groups
 * and transactions (exactly-once) never become available.
 */
public final class EmbeddedKafka implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

    /**
     * A TLS listener beside the plaintext one: the broker's key store, and the trust store of the client
     * certificates it accepts; with {@code requireClientCertificate} a client without one is refused
     * (mutual TLS). PKCS12 stores.
     */
    public record TlsListener(Path keystore, Path truststore, String password, boolean requireClientCertificate) {}

    private final Path dataDir;
    private final int port;
    private final int controllerPort;
    private final TlsListener tls;
    private final int tlsPort;
    private KafkaRaftServer server;

    private EmbeddedKafka(Path dataDir, int port, int controllerPort, TlsListener tls, int tlsPort) {
        this.dataDir = dataDir;
        this.port = port;
        this.controllerPort = controllerPort;
        this.tls = tls;
        this.tlsPort = tlsPort;
    }

    /** Formats {@code dataDir} when it holds no cluster yet and starts the broker; port 0 picks a free one. */
    public static EmbeddedKafka start(Path dataDir, int port) {
        EmbeddedKafka kafka = new EmbeddedKafka(dataDir, port == 0 ? Ports.free() : port, Ports.free(), null, 0);
        kafka.start();
        return kafka;
    }

    /** As {@link #start(Path, int)} on free ports, with a TLS listener as well ({@link #tlsBootstrapServers()}). */
    public static EmbeddedKafka startWithTls(Path dataDir, TlsListener tls) {
        EmbeddedKafka kafka = new EmbeddedKafka(dataDir, Ports.free(), Ports.free(), tls, Ports.free());
        kafka.start();
        return kafka;
    }

    public synchronized void start() {
        if (server != null) {
            return;
        }
        try {
            Files.createDirectories(dataDir);
            KafkaConfig config = new KafkaConfig(brokerProperties(), false);
            if (!Files.exists(dataDir.resolve("meta.properties"))) {
                new Formatter()
                        .setNodeId(1)
                        .setClusterId(Uuid.randomUuid().toString())
                        .addDirectory(dataDir.toString())
                        .setMetadataLogDirectory(dataDir.toString())
                        .setControllerListenerName("CONTROLLER")
                        .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                        .setPrintStream(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()))
                        .run();
            }
            KafkaRaftServer started = new KafkaRaftServer(config, Time.SYSTEM);
            started.startup();
            server = started;
            LOG.info("embedded Kafka broker up at {} (data in {})", bootstrapServers(), dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException("embedded Kafka broker did not start: " + e.getMessage(), e);
        }
    }

    /** Stops the broker; its data stays, {@link #start()} brings the same cluster back on the same port. */
    public synchronized void stop() {
        if (server == null) {
            return;
        }
        server.shutdown();
        server.awaitShutdown();
        server = null;
        LOG.info("embedded Kafka broker at {} stopped", bootstrapServers());
    }

    public synchronized boolean isRunning() {
        return server != null;
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    /** The TLS listener's address; only for a broker started with {@link #startWithTls}. */
    public String tlsBootstrapServers() {
        if (tls == null) {
            throw new IllegalStateException("this broker has no TLS listener");
        }
        return "127.0.0.1:" + tlsPort;
    }

    public Path dataDir() {
        return dataDir;
    }

    @Override
    public void close() {
        stop();
    }

    private Properties brokerProperties() {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        if (tls == null) {
            p.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
            p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
            p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        } else {
            p.put(
                    "listeners",
                    "PLAINTEXT://127.0.0.1:" + port + ",SSL://127.0.0.1:" + tlsPort + ",CONTROLLER://127.0.0.1:"
                            + controllerPort);
            p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port + ",SSL://127.0.0.1:" + tlsPort);
            p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,SSL:SSL,CONTROLLER:PLAINTEXT");
            p.put("listener.name.ssl.ssl.keystore.type", "PKCS12");
            p.put("listener.name.ssl.ssl.keystore.location", tls.keystore().toString());
            p.put("listener.name.ssl.ssl.keystore.password", tls.password());
            p.put("listener.name.ssl.ssl.key.password", tls.password());
            p.put("listener.name.ssl.ssl.truststore.type", "PKCS12");
            p.put("listener.name.ssl.ssl.truststore.location", tls.truststore().toString());
            p.put("listener.name.ssl.ssl.truststore.password", tls.password());
            p.put("listener.name.ssl.ssl.client.auth", tls.requireClientCertificate() ? "required" : "none");
        }
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("log.dirs", dataDir.toString());
        p.put("metadata.log.dir", dataDir.toString());
        p.put("auto.create.topics.enable", "false");
        p.put("num.partitions", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "4");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "4");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("log.flush.interval.messages", Long.toString(Long.MAX_VALUE));
        p.put("log.cleaner.dedupe.buffer.size", Integer.toString(2 * 1024 * 1024));
        p.put("log.cleaner.backoff.ms", "1000");
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "4");
        return p;
    }
}
