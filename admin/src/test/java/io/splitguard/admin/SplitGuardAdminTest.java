package io.splitguard.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.splitguard.schemas.config.CommonSettings;
import io.splitguard.sink.config.SinkConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class SplitGuardAdminTest {

    @Test
    void shouldTakeTheServicesEnvironmentNamesWithCommandLineOptionsOnTop() {
        SplitGuardAdmin admin = new SplitGuardAdmin(Map.of(
                CommonSettings.TOPIC_PREFIX, "env.",
                CommonSettings.SESSION_PARTITIONS, "6",
                SinkConfig.ENV_DATABASE_URL, "jdbc:postgresql://db:5432/splitguard",
                SinkConfig.ENV_GROUP_ID, "from-env"));
        new CommandLine(admin)
                .parseArgs(
                        "--topic-prefix",
                        "cli.",
                        "--group-id",
                        "from-cli",
                        "-E",
                        CommonSettings.REPLAY_HORIZON + "=P30D");

        AdminSettings settings = admin.resolve();

        assertThat(settings.catalog().mutations.name()).isEqualTo("cli.mutations");
        assertThat(settings.catalog().sessionPartitions()).isEqualTo(6);
        assertThat(settings.catalog().mutations.configs()).containsEntry("retention.ms", "2592000000");
        assertThat(settings.sink().groupId()).isEqualTo("from-cli");
        assertThat(settings.sink().jdbcUrl()).isEqualTo("jdbc:postgresql://db:5432/splitguard");
    }

    @Test
    void shouldPassOnlyTheSinkConsumersSecuritySettingsToTheToolsClients() {
        AdminSettings settings = new AdminSettings(Map.of(
                SinkConfig.ENV_CONSUMER_PREFIX + "SECURITY_PROTOCOL", "SASL_SSL",
                SinkConfig.ENV_CONSUMER_PREFIX + "SASL_MECHANISM", "SCRAM-SHA-512",
                SinkConfig.ENV_CONSUMER_PREFIX + "MAX_POLL_RECORDS", "10"));

        assertThat(settings.security())
                .containsOnly(Map.entry("security.protocol", "SASL_SSL"), Map.entry("sasl.mechanism", "SCRAM-SHA-512"));
    }

    @Test
    void shouldAnswerWrongUsageWithTwoAndAMissingDatabaseWithThreeNamingTheSetting() {
        StringWriter err = new StringWriter();
        CommandLine cl = SplitGuardAdmin.commandLine(Map.of());
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));

        assertThat(cl.execute("replay")).isEqualTo(2);
        assertThat(cl.execute("replay", "--verify", "--into-schema", "x")).isEqualTo(2);
        assertThat(cl.execute("sink-offsets", "reset", "--to", "earliest")).isEqualTo(2);
        assertThat(cl.execute("sink-offsets", "show")).isEqualTo(3);
        assertThat(err.toString()).contains("error: DATABASE_URL is required");
    }

    @Test
    void shouldAcceptOnlyPlainLowerCaseSchemaNames() {
        assertThat(AdminSettings.checkSchemaName("rebuilt_2026")).isEqualTo("rebuilt_2026");
        for (String bad : new String[] {"Public", "a-b", "x\"; DROP SCHEMA public; --", "", "1abc"}) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> AdminSettings.checkSchemaName(bad))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }
}
