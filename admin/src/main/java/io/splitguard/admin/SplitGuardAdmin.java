package io.splitguard.admin;

import io.splitguard.schemas.checkpoint.Migrations;
import io.splitguard.schemas.config.CommonSettings;
import io.splitguard.sink.config.SinkConfig;
import java.io.PrintWriter;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The operator's tool. It is configured like the services, by the same environment names
 * ({@code SPLITGUARD_KAFKA_BOOTSTRAP_SERVERS}, {@code SPLITGUARD_TOPIC_PREFIX}, {@code DATABASE_URL},
 * {@code SPLITGUARD_SINK_GROUP_ID}, ...); options on the command line override them.
 *
 * <p>Exit codes: 0 done, 1 differences found or the operation refused (nothing changed), 2 wrong
 * usage, 3 failed (unreachable broker or database, ...).
 */
@Command(
        name = "splitguard-admin",
        mixinStandardHelpOptions = true,
        version = "SplitGuard admin 0.1.0",
        description = "Operate a SplitGuard deployment: topics, replay and verify of the database from the mutations"
                + " topic, session history, the sink's stored offsets, dead letters, flow-release checks.",
        subcommands = {
            TopicsCommand.class,
            ReplayCommand.class,
            InspectCommand.class,
            SinkOffsetsCommand.class,
            DeadLettersCommand.class,
            FlowReleaseCommand.class
        })
public final class SplitGuardAdmin {

    static final int OK = 0;
    static final int REFUSED = 1;
    static final int FAILED = 3;

    private final Map<String, String> environment;
    private final Migrations migrations;

    @Option(
            names = "--bootstrap-servers",
            scope = ScopeType.INHERIT,
            description = "Kafka bootstrap servers (else " + CommonSettings.BOOTSTRAP_SERVERS + ").")
    String bootstrapServers;

    @Option(
            names = "--topic-prefix",
            scope = ScopeType.INHERIT,
            description = "Prefix of every topic name (else " + CommonSettings.TOPIC_PREFIX + ").")
    String topicPrefix;

    @Option(
            names = "--database-url",
            scope = ScopeType.INHERIT,
            description = "The sink's database (else " + SinkConfig.ENV_DATABASE_URL + ").")
    String databaseUrl;

    @Option(
            names = "--database-user",
            scope = ScopeType.INHERIT,
            description = "Database user (else " + SinkConfig.ENV_DATABASE_USER + ").")
    String databaseUser;

    @Option(
            names = "--database-password",
            scope = ScopeType.INHERIT,
            description = "Database password (else " + SinkConfig.ENV_DATABASE_PASSWORD + ").")
    String databasePassword;

    @Option(
            names = "--group-id",
            scope = ScopeType.INHERIT,
            description = "The sink's consumer group (else " + SinkConfig.ENV_GROUP_ID + ").")
    String groupId;

    @Option(
            names = {"-E", "--setting"},
            scope = ScopeType.INHERIT,
            paramLabel = "NAME=VALUE",
            description = "Any setting by its environment name, e.g. -E SPLITGUARD_SESSION_PARTITIONS=24.")
    Map<String, String> settings = new LinkedHashMap<>();

    public SplitGuardAdmin() {
        this(System.getenv());
    }

    SplitGuardAdmin(Map<String, String> environment) {
        this(environment, Migrations.DEFAULT);
    }

    /** With another checkpoint migration table than the shipped one (tests). */
    SplitGuardAdmin(Map<String, String> environment, Migrations migrations) {
        this.environment = Map.copyOf(environment);
        this.migrations = java.util.Objects.requireNonNull(migrations, "migrations");
    }

    public static void main(String[] args) {
        // the tool's own logging (warnings on stderr), whatever logback.xml the services' jars carry
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "splitguard-admin-logback.xml");
        }
        System.exit(commandLine(System.getenv()).execute(args));
    }

    /** The command line of the tool over {@code environment} (tests pass their own). */
    static CommandLine commandLine(Map<String, String> environment) {
        return commandLine(environment, Migrations.DEFAULT);
    }

    /** The same over another checkpoint migration table (tests). */
    static CommandLine commandLine(Map<String, String> environment, Migrations migrations) {
        CommandLine cl = new CommandLine(new SplitGuardAdmin(environment, migrations));
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            err.println("error: " + describe(e));
            err.flush();
            return FAILED;
        });
        return cl;
    }

    private static String describe(Throwable e) {
        StringBuilder text = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable cause = e.getCause(); cause != null && cause != e; cause = cause.getCause()) {
            if (cause.getMessage() != null && !text.toString().contains(cause.getMessage())) {
                text.append(": ").append(cause.getMessage());
            }
        }
        return text.toString();
    }

    /** The checkpoint migration table the flow-release check applies. */
    Migrations migrations() {
        return migrations;
    }

    /** The environment with the command line's options on top. */
    AdminSettings resolve() {
        Map<String, String> env = new HashMap<>(environment);
        put(env, CommonSettings.BOOTSTRAP_SERVERS, bootstrapServers);
        put(env, CommonSettings.TOPIC_PREFIX, topicPrefix);
        put(env, SinkConfig.ENV_DATABASE_URL, databaseUrl);
        put(env, SinkConfig.ENV_DATABASE_USER, databaseUser);
        put(env, SinkConfig.ENV_DATABASE_PASSWORD, databasePassword);
        put(env, SinkConfig.ENV_GROUP_ID, groupId);
        env.putAll(settings);
        return new AdminSettings(env);
    }

    private static void put(Map<String, String> env, String name, String value) {
        if (value != null) {
            env.put(name, value);
        }
    }
}
