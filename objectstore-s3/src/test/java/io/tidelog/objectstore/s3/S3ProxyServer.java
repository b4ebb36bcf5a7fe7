package io.tidelog.objectstore.s3;

import io.tidelog.testing.Await;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 server in the test JVM: s3proxy over an in-memory (or directory) blob store, on a free loopback port,
 * with SigV2/V4 authentication, plus an administrative client to make buckets and plant objects.
 */
public final class S3ProxyServer implements AutoCloseable {
    public static final String ACCESS_KEY = "tidelog-access";
    public static final String SECRET_KEY = "tidelog-secret";

    private final S3Proxy proxy;
    private final URI endpoint;
    private final S3Client admin;

    public S3ProxyServer() throws Exception {
        this(null);
    }

    /**
     * A server keeping its objects as files under {@code dir} rather than in memory (for tests that write more
     * than a test JVM's heap holds); in memory when {@code dir} is null.
     */
    public S3ProxyServer(java.nio.file.Path dir) throws Exception {
        Properties properties = new Properties();
        if (dir != null) {
            properties.setProperty("jclouds.filesystem.basedir", dir.toString());
        }
        proxy = S3Proxy.builder()
                .blobStore(BlobStores.create(dir == null ? "transient-nio2" : "filesystem-nio2", properties))
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .build();
        proxy.start();
        Await.until("s3proxy is started", Duration.ofSeconds(30), () -> "STARTED".equals(proxy.getState()));
        endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
        admin = S3Client.builder()
                .httpClient(UrlConnectionHttpClient.create())
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .forcePathStyle(true)
                // Plain bodies, as the store sends them: s3proxy drops the connection on an empty aws-chunked upload.
                .serviceConfiguration(c -> c.chunkedEncodingEnabled(false))
                .requestChecksumCalculation(software.amazon.awssdk.core.checksums.RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(software.amazon.awssdk.core.checksums.ResponseChecksumValidation.WHEN_REQUIRED)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                .build();
    }

    public URI endpoint() {
        return endpoint;
    }

    /** The settings a store needs to reach this server. */
    public Map<String, String> settings() {
        return Map.of(
                S3ObjectStoreConfig.ENDPOINT, endpoint.toString(),
                S3ObjectStoreConfig.ACCESS_KEY, ACCESS_KEY,
                S3ObjectStoreConfig.SECRET_KEY, SECRET_KEY);
    }

    public S3Client admin() {
        return admin;
    }

    public void createBucket(String bucket) {
        admin.createBucket(b -> b.bucket(bucket));
    }

    @Override
    public void close() {
        try {
            admin.close();
            proxy.stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping s3proxy", e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot stop s3proxy", e);
        }
    }
}
