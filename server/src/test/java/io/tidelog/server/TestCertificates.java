package io.tidelog.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Certificates made for a test by the {@code openssl} command line (installed by {@code scripts/test}): a CA, a
 * server certificate it signed naming {@code localhost} and {@code 127.0.0.1} (usable as a client certificate too, as
 * members present theirs), a client certificate it signed, and a second CA that signed nothing here. EC P-256 keys in
 * PKCS#8 PEM, valid for two days.
 */
record TestCertificates(Path ca, Path serverCert, Path serverKey, Path clientCert, Path clientKey, Path otherCa) {

    static TestCertificates makeIn(Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        ca(dir, "ca", "tidelog-test-ca");
        ca(dir, "other-ca", "someone-else");
        signed(dir, "server", "localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                + "extendedKeyUsage=serverAuth,clientAuth\n");
        signed(dir, "client", "test-client", "extendedKeyUsage=clientAuth\n");
        return new TestCertificates(dir.resolve("ca.pem"), dir.resolve("server.pem"), dir.resolve("server.key"),
                dir.resolve("client.pem"), dir.resolve("client.key"), dir.resolve("other-ca.pem"));
    }

    private static void ca(Path dir, String name, String cn) throws IOException, InterruptedException {
        openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", name + ".key", "-out", name + ".pem", "-days", "2", "-subj", "/CN=" + cn,
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    }

    private static void signed(Path dir, String name, String cn, String extensions)
            throws IOException, InterruptedException {
        Files.writeString(dir.resolve(name + ".ext"), extensions, StandardCharsets.US_ASCII);
        openssl(dir, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + cn);
        openssl(dir, "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", name + ".pem", "-days", "2", "-extfile", name + ".ext");
    }

    private static void openssl(Path dir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("openssl " + String.join(" ", args) + " failed: " + output);
        }
    }
}
