package io.splitguard.testsupport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Key and trust stores for a mutual-TLS test: a self-signed broker certificate for 127.0.0.1 /
 * localhost, a self-signed client certificate, and a trust store for each side holding the other's
 * certificate. Made with the JDK's {@code keytool}, PKCS12, one password for all.
 */
public record TlsMaterial(
        Path brokerKeystore, Path brokerTruststore, Path clientKeystore, Path clientTruststore, String password) {

    /** Creates the stores in {@code dir}. */
    public static TlsMaterial generate(Path dir) {
        String password = "splitguard-test";
        TlsMaterial m = new TlsMaterial(
                dir.resolve("broker.p12"),
                dir.resolve("broker-trust.p12"),
                dir.resolve("client.p12"),
                dir.resolve("client-trust.p12"),
                password);
        Path brokerCert = dir.resolve("broker.crt");
        Path clientCert = dir.resolve("client.crt");
        keytool(
                "-genkeypair",
                "-alias",
                "broker",
                "-keyalg",
                "RSA",
                "-keysize",
                "2048",
                "-validity",
                "2",
                "-dname",
                "CN=localhost",
                "-ext",
                "SAN=ip:127.0.0.1,dns:localhost",
                "-keystore",
                m.brokerKeystore().toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                password);
        keytool(
                "-genkeypair",
                "-alias",
                "client",
                "-keyalg",
                "RSA",
                "-keysize",
                "2048",
                "-validity",
                "2",
                "-dname",
                "CN=splitguard-client",
                "-keystore",
                m.clientKeystore().toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                password);
        keytool(
                "-exportcert",
                "-alias",
                "broker",
                "-keystore",
                m.brokerKeystore().toString(),
                "-storepass",
                password,
                "-rfc",
                "-file",
                brokerCert.toString());
        keytool(
                "-exportcert",
                "-alias",
                "client",
                "-keystore",
                m.clientKeystore().toString(),
                "-storepass",
                password,
                "-rfc",
                "-file",
                clientCert.toString());
        keytool(
                "-importcert",
                "-noprompt",
                "-alias",
                "broker",
                "-file",
                brokerCert.toString(),
                "-keystore",
                m.clientTruststore().toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                password);
        keytool(
                "-importcert",
                "-noprompt",
                "-alias",
                "client",
                "-file",
                clientCert.toString(),
                "-keystore",
                m.brokerTruststore().toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                password);
        return m;
    }

    private static void keytool(String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("keytool " + args[0] + " failed: " + output);
            }
        } catch (IOException e) {
            throw new IllegalStateException("keytool could not run", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
