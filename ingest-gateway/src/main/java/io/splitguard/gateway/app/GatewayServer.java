package io.splitguard.gateway.app;

import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import java.net.URI;
import java.util.Map;

/**
 * Starts the gateway inside the calling JVM (the launcher, tests). Properties use the same names as
 * application.yml, e.g. {@code splitguard.kafka.bootstrap-servers}, {@code micronaut.server.port}
 * ({@code -1} picks a free port).
 */
public final class GatewayServer implements AutoCloseable {

    private final ApplicationContext context;
    private final EmbeddedServer server;

    private GatewayServer(ApplicationContext context, EmbeddedServer server) {
        this.context = context;
        this.server = server;
    }

    public static GatewayServer start(Map<String, Object> properties) {
        ApplicationContext context = ApplicationContext.builder()
                .deduceEnvironment(false)
                .properties(properties)
                .start();
        try {
            EmbeddedServer server = context.getBean(EmbeddedServer.class);
            server.start();
            return new GatewayServer(context, server);
        } catch (RuntimeException e) {
            context.close();
            throw e;
        }
    }

    /** Base URL, e.g. {@code http://localhost:53124}. */
    public URI url() {
        return URI.create("http://localhost:" + server.getPort());
    }

    public int port() {
        return server.getPort();
    }

    public ApplicationContext context() {
        return context;
    }

    /**
     * Stops like SIGTERM does: the application context's shutdown runs Micronaut's graceful shutdown
     * (requests in flight finish, within {@code micronaut.lifecycle.graceful-shutdown.grace-period}),
     * then stops the server and closes every bean.
     */
    @Override
    public void close() {
        try {
            context.close();
        } finally {
            if (server.isRunning()) {
                server.stop();
            }
        }
    }
}
