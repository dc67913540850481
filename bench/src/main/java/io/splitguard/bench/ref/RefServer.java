package io.splitguard.bench.ref;

import io.micronaut.context.ApplicationContext;
import io.micronaut.inject.BeanDefinition;
import io.micronaut.runtime.server.EmbeddedServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs one reference endpoint in its own JVM: {@code bare} (parse the JSON, answer), {@code kafka}
 * (parse, produce with acks=all, answer from the producer callback) or {@code redis} (the lease routes
 * on a Redis {@code SET NX PX} lock, {@link RedisLeaseController}) or {@code seed} (the guide's per-request
 * design: Redis lock, idempotency row and contact update in one PostgreSQL transaction, {@link
 * SeedController}). Prints {@code BENCH ready port=N}
 * once it listens and stops when its standard input closes or reads {@code quit}.
 *
 * <p>Usage: {@code RefServer bare <port>}, {@code RefServer kafka <port> <bootstrap> <topic>} or {@code
 * RefServer redis <port> <redis-uri>} or {@code RefServer seed <port> <redis-uri> <jdbc-url> <user> <password>
 * <pool-size>}.
 */
public final class RefServer {

    /** Beans from these packages must not leak into a reference server from the shared lib directory. */
    private static final List<String> FOREIGN = List.of(
            "io.splitguard.gateway",
            "io.splitguard.launcher",
            "io.micronaut.security",
            "io.micronaut.management",
            "io.micronaut.configuration.metrics",
            "io.micronaut.micrometer");

    private RefServer() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            throw new IllegalArgumentException(
                    "usage: RefServer bare|kafka|redis|seed <port> [<bootstrap> <topic> | <redis-uri> [<jdbc> <user>"
                            + " <password> <pool-size>]]");
        }
        String mode = args[0];
        Map<String, Object> props = new HashMap<>();
        props.put("micronaut.server.host", "127.0.0.1");
        props.put("micronaut.server.port", Integer.parseInt(args[1]));
        props.put("bench.ref.mode", mode);
        if (mode.equals("kafka")) {
            props.put("bench.ref.bootstrap", args[2]);
            props.put("bench.ref.topic", args[3]);
        } else if (mode.equals("redis")) {
            props.put("bench.ref.redis-uri", args[2]);
        } else if (mode.equals("seed")) {
            props.put("bench.ref.redis-uri", args[2]);
            props.put("bench.ref.jdbc", args[3]);
            props.put("bench.ref.db-user", args[4]);
            props.put("bench.ref.db-password", args[5]);
            props.put("bench.ref.pool-size", Integer.parseInt(args[6]));
        } else if (!mode.equals("bare")) {
            throw new IllegalArgumentException("unknown mode " + mode);
        }
        ApplicationContext context = ApplicationContext.builder()
                .deduceEnvironment(false)
                .properties(props)
                .start();
        for (BeanDefinition<?> definition : context.getAllBeanDefinitions()) {
            String type = definition.getBeanType().getName();
            if (FOREIGN.stream().anyMatch(type::startsWith)) {
                context.close();
                throw new IllegalStateException("reference server would load foreign bean " + type
                        + "; the harness must leave that jar off its classpath");
            }
        }
        EmbeddedServer server = context.getBean(EmbeddedServer.class);
        server.start();
        System.out.println("BENCH ready port=" + server.getPort());
        System.out.flush();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null && !line.trim().equals("quit")) {
                // only "quit" (or end of input) means anything
            }
        } finally {
            server.stop();
            context.close();
        }
    }
}
