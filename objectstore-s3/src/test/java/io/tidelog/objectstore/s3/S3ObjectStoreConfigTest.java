package io.tidelog.objectstore.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class S3ObjectStoreConfigTest {
    private static final Map<String, String> NO_ENV = Map.of();

    private static S3ObjectStoreConfig config(String uri, Map<String, String> settings, Map<String, String> env) {
        return S3ObjectStoreConfig.from(URI.create(uri), settings, env);
    }

    private static void assertInvalid(Runnable r, String mentioned) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(StreamingException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT)).hasMessageContaining(mentioned);
    }

    @Test
    void withNothingSetItIsAwsInUsEast1WithTheDefaultCredentialsChain() {
        S3ObjectStoreConfig c = config("s3://bucket/a/b", Map.of(), NO_ENV);
        assertThat(c.bucket()).isEqualTo("bucket");
        assertThat(c.prefix()).isEqualTo("a/b/");
        assertThat(c.endpoint()).isNull();
        assertThat(c.region()).isEqualTo("us-east-1");
        assertThat(c.accessKey()).isNull();
        assertThat(c.secretKey()).isNull();
        assertThat(c.pathStyle()).isFalse();
        assertThat(c.connectTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.readTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.location()).isEqualTo("s3://bucket/a/b/");
    }

    @Test
    void theRootOfABucketHasAnEmptyPrefix() {
        assertThat(config("s3://bucket", Map.of(), NO_ENV).prefix()).isEmpty();
        assertThat(config("s3://bucket/", Map.of(), NO_ENV).prefix()).isEmpty();
        assertThat(config("s3://bucket/p/", Map.of(), NO_ENV).prefix()).isEqualTo("p/");
    }

    @Test
    void theEnvironmentFillsWhatTheSettingsLeaveOutAndAnEndpointMeansPathStyle() {
        Map<String, String> env = Map.of("TIDELOG_S3_ENDPOINT", "http://127.0.0.1:9000", "AWS_REGION", "eu-west-3",
                "AWS_ACCESS_KEY_ID", "envkey", "AWS_SECRET_ACCESS_KEY", "envsecret");
        S3ObjectStoreConfig c = config("s3://b/p", Map.of(), env);
        assertThat(c.endpoint()).isEqualTo(URI.create("http://127.0.0.1:9000"));
        assertThat(c.region()).isEqualTo("eu-west-3");
        assertThat(c.accessKey()).isEqualTo("envkey");
        assertThat(c.secretKey()).isEqualTo("envsecret");
        assertThat(c.pathStyle()).isTrue();
    }

    @Test
    void settingsWinOverTheEnvironment() {
        Map<String, String> env = Map.of("TIDELOG_S3_ENDPOINT", "http://env:1", "AWS_REGION", "eu-west-3",
                "AWS_ACCESS_KEY_ID", "envkey", "AWS_SECRET_ACCESS_KEY", "envsecret");
        S3ObjectStoreConfig c = config("s3://b/p", Map.of(
                S3ObjectStoreConfig.ENDPOINT, "https://minio.local:9443",
                S3ObjectStoreConfig.REGION, "ap-south-1",
                S3ObjectStoreConfig.ACCESS_KEY, "key",
                S3ObjectStoreConfig.SECRET_KEY, "secret",
                S3ObjectStoreConfig.PATH_STYLE, "false",
                S3ObjectStoreConfig.CONNECT_TIMEOUT, "2s",
                S3ObjectStoreConfig.READ_TIMEOUT, "500ms"), env);
        assertThat(c.endpoint()).isEqualTo(URI.create("https://minio.local:9443"));
        assertThat(c.region()).isEqualTo("ap-south-1");
        assertThat(c.accessKey()).isEqualTo("key");
        assertThat(c.secretKey()).isEqualTo("secret");
        assertThat(c.pathStyle()).isFalse();
        assertThat(c.connectTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.readTimeout()).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void blankValuesCountAsAbsent() {
        S3ObjectStoreConfig c = config("s3://b", Map.of(S3ObjectStoreConfig.REGION, " "), Map.of("AWS_REGION", ""));
        assertThat(c.region()).isEqualTo("us-east-1");
    }

    @Test
    void halfOfAKeyPairIsRejected() {
        assertInvalid(() -> config("s3://b", Map.of(S3ObjectStoreConfig.ACCESS_KEY, "k"), NO_ENV), "or neither");
        assertInvalid(() -> config("s3://b", Map.of(), Map.of("AWS_SECRET_ACCESS_KEY", "s")), "or neither");
    }

    @Test
    void anUnknownKeyOrABadValueIsRejectedByName() {
        assertInvalid(() -> config("s3://b", Map.of("objectstore.s3.endpiont", "http://x"), NO_ENV),
                "objectstore.s3.endpiont");
        assertInvalid(() -> config("s3://b", Map.of(S3ObjectStoreConfig.PATH_STYLE, "yes"), NO_ENV),
                S3ObjectStoreConfig.PATH_STYLE);
        assertInvalid(() -> config("s3://b", Map.of(S3ObjectStoreConfig.ENDPOINT, "ftp://x"), NO_ENV),
                S3ObjectStoreConfig.ENDPOINT);
        assertInvalid(() -> config("s3://b", Map.of(S3ObjectStoreConfig.ENDPOINT, "not a url"), NO_ENV),
                S3ObjectStoreConfig.ENDPOINT);
        assertThat(config("s3://b", Map.of("objectstore.file.other", "x", "wal.local.dir", "/x"), NO_ENV))
                .as("keys of other components are not ours to judge").isNotNull();
    }

    @Test
    void aLocationWithoutABucketOrWithAnInvalidPrefixIsRejected() {
        for (String uri : new String[] {"s3:bucket", "s3:///p", "s3://b//p", "s3://b/p//", "s3://b/x/../y",
            "s3://b/p?versionId=1", "s3://b/p#f", "s3://user@b/p", "s3://b:9000/p"}) {
            assertInvalid(() -> config(uri, Map.of(), NO_ENV), "");
        }
    }

    @Test
    void theSecretKeyIsNeverPrinted() {
        S3ObjectStoreConfig c = config("s3://b/p", Map.of(S3ObjectStoreConfig.ACCESS_KEY, "AKIDEXAMPLE",
                S3ObjectStoreConfig.SECRET_KEY, "wJalrXUtnFEMI"), NO_ENV);
        assertThat(c.toString()).contains("AKIDEXAMPLE").doesNotContain("wJalrXUtnFEMI");
    }
}
