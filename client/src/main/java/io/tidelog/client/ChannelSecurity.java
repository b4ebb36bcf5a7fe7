package io.tidelog.client;

import io.grpc.ChannelCredentials;
import io.grpc.ClientInterceptor;
import io.grpc.InsecureChannelCredentials;
import io.grpc.TlsChannelCredentials;
import io.tidelog.common.StreamingException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a client's channels carry to prove who they talk to and who they are: TLS trusting a CA's certificates (and
 * presenting a client certificate, for servers that require one), and a bearer token sent with every call
 * ({@link BearerToken}). Immutable; checked once, when the client is built.
 *
 * @param token   the bearer token, or {@code null} for none
 * @param tlsCa   PEM file of the certificates to trust (TLS on), or {@code null} for plaintext
 * @param tlsCert PEM file of the client's certificate chain, or {@code null}; needs {@code tlsKey} and {@code tlsCa}
 * @param tlsKey  PEM file of the client certificate's private key (PKCS#8), or {@code null}
 */
record ChannelSecurity(String token, Path tlsCa, Path tlsCert, Path tlsKey) {
    /** @throws StreamingException {@code INVALID_ARGUMENT} for a malformed token or a file that cannot be read */
    ChannelSecurity {
        if (token != null) {
            new BearerToken(token); // checks it
        }
        if ((tlsCert == null) != (tlsKey == null)) {
            throw StreamingException.invalidArgument("a client certificate needs both its file and its key's file");
        }
        if (tlsCert != null && tlsCa == null) {
            throw StreamingException.invalidArgument("a client certificate is for TLS: give the CA to trust too");
        }
        for (Path p : new Path[] {tlsCa, tlsCert, tlsKey}) {
            if (p != null && !Files.isReadable(p)) {
                throw StreamingException.invalidArgument("cannot read " + p + " (a PEM file for TLS)");
            }
        }
    }

    /** TLS credentials when a CA is given, else plaintext. */
    ChannelCredentials credentials() {
        if (tlsCa == null) {
            return InsecureChannelCredentials.create();
        }
        try {
            TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder().trustManager(tlsCa.toFile());
            if (tlsCert != null) {
                b.keyManager(tlsCert.toFile(), tlsKey.toFile());
            }
            return b.build();
        } catch (IOException | IllegalArgumentException e) {
            throw StreamingException.invalidArgument("cannot use the TLS files " + tlsCa
                    + (tlsCert == null ? "" : ", " + tlsCert + ", " + tlsKey) + ": " + e.getMessage());
        }
    }

    /** Adds the token to every call; {@code null} when there is no token. */
    ClientInterceptor tokenInterceptor() {
        return token == null ? null : new BearerToken(token);
    }
}
