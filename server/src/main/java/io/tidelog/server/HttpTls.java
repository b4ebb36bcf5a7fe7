package io.tidelog.server;

import io.tidelog.common.StreamingException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS of the HTTP port with the gRPC port's certificate ({@code security.tls.cert}, {@code security.tls.key}): the
 * JDK's {@link SSLContext} over a key store made in memory from the PEM files, the chain as the certificate file gives
 * it and the PKCS#8 key ({@code BEGIN PRIVATE KEY}; EC, RSA, Ed25519 or Ed448). Client certificates are asked for as
 * {@code security.tls.client.auth} says, trusted when {@code security.tls.ca} signed them. Immutable.
 *
 * @param context    the server's TLS context
 * @param clientAuth whether it asks clients for a certificate
 */
record HttpTls(SSLContext context, SecurityConfig.ClientAuth clientAuth) {
    private static final Pattern PRIVATE_KEY =
            Pattern.compile("-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");
    private static final List<String> KEY_ALGORITHMS = List.of("EC", "RSA", "Ed25519", "Ed448");

    /**
     * The TLS of {@code config}'s certificate and key.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} naming the file that cannot be used
     */
    static HttpTls of(SecurityConfig config) {
        try {
            List<Certificate> chain = certificates(config.tlsCert(), SecurityConfig.TLS_CERT);
            PrivateKey key = privateKey(config.tlsKey());
            char[] none = new char[0];
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("tidelog", key, none, chain.toArray(Certificate[]::new));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, none);
            TrustManagerFactory tmf = null;
            if (config.clientAuth() != SecurityConfig.ClientAuth.NONE) {
                KeyStore trusted = KeyStore.getInstance("PKCS12");
                trusted.load(null, null);
                int i = 0;
                for (Certificate ca : certificates(config.tlsCa(), SecurityConfig.TLS_CA)) {
                    trusted.setCertificateEntry("ca-" + i++, ca);
                }
                tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(trusted);
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), new SecureRandom());
            return new HttpTls(context, config.clientAuth());
        } catch (GeneralSecurityException | IOException e) {
            throw StreamingException.invalidArgument("cannot use " + SecurityConfig.TLS_CERT + " " + config.tlsCert()
                    + " with " + SecurityConfig.TLS_KEY + " " + config.tlsKey() + " for HTTPS: " + e.getMessage());
        }
    }

    /** Every certificate of a PEM file, in the file's order (a chain: the server's first). */
    static List<Certificate> certificates(Path file, String key) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(file)) {
            List<Certificate> out = List.copyOf(CertificateFactory.getInstance("X.509").generateCertificates(in));
            if (out.isEmpty()) {
                throw StreamingException.invalidArgument(key + " " + file + " holds no PEM certificate");
            }
            return out;
        }
    }

    /** The PKCS#8 private key of a PEM file, of whichever algorithm reads it. */
    static PrivateKey privateKey(Path file) throws IOException, GeneralSecurityException {
        Matcher m = PRIVATE_KEY.matcher(Files.readString(file, StandardCharsets.US_ASCII));
        if (!m.find()) {
            throw StreamingException.invalidArgument(SecurityConfig.TLS_KEY + " " + file
                    + " holds no PKCS#8 key (-----BEGIN PRIVATE KEY-----; convert with openssl pkcs8 -topk8 -nocrypt)");
        }
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(Base64.getMimeDecoder().decode(m.group(1)));
        for (String algorithm : KEY_ALGORITHMS) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (InvalidKeySpecException e) {
                // not this algorithm's key: try the next
            }
        }
        throw new InvalidKeySpecException("the key is none of " + KEY_ALGORITHMS);
    }
}
