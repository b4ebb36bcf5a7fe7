package io.tidelog.objectstore.s3;

import io.tidelog.common.Settings;
import io.tidelog.common.StreamingException;
import io.tidelog.objectstore.ObjectKeys;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Configuration of the S3 store: the location from the URI {@code s3://bucket/prefix}, the rest from
 * settings, each falling back to an environment variable where one is named (settings win; a blank
 * value counts as absent). Validated once.
 *
 * @param bucket         the bucket, from the URI's authority
 * @param prefix         the root of the store inside the bucket: {@code ""} or a path ending in
 *                       {@code /}, from the URI's path; every key is stored as {@code prefix + key}
 * @param endpoint       {@code objectstore.s3.endpoint}, env {@code TIDELOG_S3_ENDPOINT} (none): the
 *                       service's URL ({@code http://127.0.0.1:9000} for MinIO); {@code null} means AWS
 * @param region         {@code objectstore.s3.region}, env {@code AWS_REGION} ({@code us-east-1})
 * @param accessKey      {@code objectstore.s3.access.key}, env {@code AWS_ACCESS_KEY_ID} (none): with
 *                       the secret key, static credentials; {@code null} means the SDK's default chain
 *                       (profile, web identity, container or instance role)
 * @param secretKey      {@code objectstore.s3.secret.key}, env {@code AWS_SECRET_ACCESS_KEY} (none);
 *                       set both keys or neither
 * @param pathStyle      {@code objectstore.s3.path.style} (true when an endpoint is set, else false):
 *                       {@code http://host/bucket/key} instead of {@code http://bucket.host/key}
 * @param connectTimeout {@code objectstore.s3.connect.timeout} (10s): to open a connection
 * @param readTimeout    {@code objectstore.s3.read.timeout} (60s): the longest silence while a response
 *                       is awaited or read
 */
public record S3ObjectStoreConfig(String bucket, String prefix, URI endpoint, String region, String accessKey,
                                  String secretKey, boolean pathStyle, Duration connectTimeout,
                                  Duration readTimeout) {
    public static final String SCHEME = "s3";
    public static final String PREFIX = "objectstore.s3.";
    public static final String ENDPOINT = PREFIX + "endpoint";
    public static final String REGION = PREFIX + "region";
    public static final String ACCESS_KEY = PREFIX + "access.key";
    public static final String SECRET_KEY = PREFIX + "secret.key";
    public static final String PATH_STYLE = PREFIX + "path.style";
    public static final String CONNECT_TIMEOUT = PREFIX + "connect.timeout";
    public static final String READ_TIMEOUT = PREFIX + "read.timeout";

    public static final String ENV_ENDPOINT = "TIDELOG_S3_ENDPOINT";
    public static final String ENV_REGION = "AWS_REGION";
    public static final String ENV_ACCESS_KEY = "AWS_ACCESS_KEY_ID";
    public static final String ENV_SECRET_KEY = "AWS_SECRET_ACCESS_KEY";

    public static final String DEFAULT_REGION = "us-east-1";

    public S3ObjectStoreConfig {
        Objects.requireNonNull(bucket, "bucket");
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(readTimeout, "readTimeout");
        if ((accessKey == null) != (secretKey == null)) {
            throw StreamingException.invalidArgument("set both " + ACCESS_KEY + " and " + SECRET_KEY
                    + " (or " + ENV_ACCESS_KEY + " and " + ENV_SECRET_KEY + "), or neither");
        }
    }

    /** The configuration for {@code uri} and {@code settings}, with the process's environment. */
    public static S3ObjectStoreConfig from(URI uri, Map<String, String> settings) {
        return from(uri, settings, System.getenv());
    }

    /** As {@link #from(URI, Map)} with the environment given (for tests). */
    public static S3ObjectStoreConfig from(URI uri, Map<String, String> settings, Map<String, String> env) {
        if (!SCHEME.equals(uri.getScheme()) || uri.isOpaque() || uri.getRawAuthority() == null
                || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw StreamingException.invalidArgument("'" + uri + "' is not an S3 location s3://bucket/prefix");
        }
        String bucket = uri.getRawAuthority();
        if (!bucket.matches("[A-Za-z0-9._-]{1,255}")) {
            throw StreamingException.invalidArgument("'" + bucket + "' of '" + uri + "' is not a bucket name");
        }
        String prefix = rootPrefix(uri);

        Settings s = new Settings(settings);
        URI endpoint = endpoint(or(s.string(ENDPOINT, null), env.get(ENV_ENDPOINT)));
        String region = or(or(s.string(REGION, null), env.get(ENV_REGION)), DEFAULT_REGION);
        String accessKey = or(s.string(ACCESS_KEY, null), env.get(ENV_ACCESS_KEY));
        String secretKey = or(s.string(SECRET_KEY, null), env.get(ENV_SECRET_KEY));
        boolean pathStyle = s.bool(PATH_STYLE, endpoint != null);
        Duration connectTimeout = s.duration(CONNECT_TIMEOUT, Duration.ofSeconds(10), Duration.ofMillis(1),
                Duration.ofMinutes(10));
        Duration readTimeout = s.duration(READ_TIMEOUT, Duration.ofSeconds(60), Duration.ofMillis(1),
                Duration.ofHours(1));
        s.rejectUnknown(PREFIX);
        return new S3ObjectStoreConfig(bucket, prefix, endpoint, region, accessKey, secretKey, pathStyle,
                connectTimeout, readTimeout);
    }

    /** {@code s3://bucket/prefix} (without the endpoint). */
    public String location() {
        return "s3://" + bucket + "/" + prefix;
    }

    /** Leaves the secret key out. */
    @Override
    public String toString() {
        return "S3ObjectStoreConfig[" + location() + ", endpoint=" + (endpoint == null ? "AWS" : endpoint)
                + ", region=" + region + ", credentials=" + (accessKey == null ? "default chain" : "static " + accessKey)
                + ", pathStyle=" + pathStyle + ", connectTimeout=" + connectTimeout + ", readTimeout=" + readTimeout + "]";
    }

    private static String rootPrefix(URI uri) {
        String path = uri.getPath() == null ? "" : uri.getPath();
        String trimmed = path.replaceAll("^/+", "").replaceAll("/$", "");
        if (trimmed.isEmpty()) {
            return "";
        }
        try {
            ObjectKeys.requireValidKey(path.startsWith("//") ? path.substring(1) : trimmed);
        } catch (StreamingException e) {
            throw StreamingException.invalidArgument("the prefix '" + path + "' of '" + uri + "' is not valid: "
                    + e.detail());
        }
        return trimmed + "/";
    }

    private static URI endpoint(String value) {
        if (value == null) {
            return null;
        }
        try {
            URI uri = new URI(value);
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                throw StreamingException.invalidArgument(ENDPOINT + " = '" + value
                        + "' is not an http(s) URL such as http://127.0.0.1:9000");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw StreamingException.invalidArgument(ENDPOINT + " = '" + value + "' is not a URL: " + e.getMessage());
        }
    }

    private static String or(String value, String fallback) {
        return value == null || value.isBlank() ? fallback : value.trim();
    }
}
