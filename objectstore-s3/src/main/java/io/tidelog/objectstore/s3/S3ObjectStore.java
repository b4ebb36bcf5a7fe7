package io.tidelog.objectstore.s3;

import io.tidelog.common.Backoff;
import io.tidelog.common.Closeables;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.objectstore.ObjectInfo;
import io.tidelog.objectstore.ObjectKeys;
import io.tidelog.objectstore.ObjectStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * An {@link ObjectStore} in an S3 bucket under a prefix ({@code s3://bucket/prefix}), on AWS or any
 * S3-compatible service (MinIO, Ceph, s3proxy), through the AWS SDK v2 with the JDK's
 * {@code HttpURLConnection} as transport.
 *
 * <p><b>Mapping.</b> The key {@code k} is the S3 object {@code prefix + k}. {@code put} is one
 * {@code PutObject} (a file is streamed; at most 5 GiB, S3's single-request limit); S3 makes it atomic
 * and durable when acknowledged. {@code getRange} is a {@code GetObject} with
 * {@code Range: bytes=a-b}. {@code list} pages through {@code ListObjectsV2} (1000 keys a page) and
 * sorts the result. {@code delete} is a {@code HEAD} then a {@code DELETE}, because S3's
 * {@code DELETE} does not say whether there was anything to delete.
 *
 * <p><b>Retries.</b> Every request but the conditional create goes through the SDK's standard retry
 * strategy (they are idempotent). {@link #createIfAbsent} is a {@code PutObject} with
 * {@code If-None-Match: *} on a client that never retries; this class resolves an unknown outcome
 * itself (see {@link ObjectStore#createIfAbsent}): {@code 412 Precondition Failed} is a lost race; a
 * transport failure, a {@code 5xx} or a {@code 409} (a concurrent conditional write in progress) is
 * answered by reading the key back: our exact bytes mean we won, other bytes mean we lost, nothing
 * means the put can be tried again (at most {@value #CONDITIONAL_ATTEMPTS} times in all). A
 * {@code 412} after an unknown outcome is checked the same way, since the earlier attempt may have
 * been ours.
 *
 * <p><b>Uploads are plain bodies</b> with a {@code Content-Length}: no {@code aws-chunked} encoding
 * (which the SDK uses by default to sign payloads over {@code http}) and checksums only where S3
 * requires them (the SDK's default adds a CRC32 trailer to every upload, in {@code aws-chunked} form).
 * S3-compatible services handle chunked uploads unevenly: s3proxy 4.0.0 leaves the last chunk of an
 * empty body unread and drops the connection, so a later request on that kept-alive connection
 * fails. Integrity does not suffer: over {@code http} the SigV4 signature covers the payload's
 * SHA-256 (computed before sending; a file is read twice), over {@code https} TLS protects it.
 *
 * <p><b>Errors.</b> {@code 400} maps to {@code INVALID_ARGUMENT}, {@code 401}/{@code 403} to
 * {@code UNRECOVERABLE}, a missing bucket to {@code NOT_FOUND}, everything else (transport failures,
 * {@code 5xx}, throttling after retries) to {@code INNER}. A service that rejects an upload before
 * reading its body may close the connection instead of letting the client read the answer (s3proxy
 * does, for a {@code 412}, a missing bucket or a bad signature): the client then sees a transport
 * failure, so such a {@code put} fails with {@code INNER}, and {@code createIfAbsent} resolves it by
 * reading back as above.
 *
 * <p>Thread-safe; the store is a thin layer over two SDK clients sharing one HTTP client and one
 * credentials provider, all closed by {@link #close}. Opening makes no request: a wrong bucket or credentials show at the first call.
 */
public final class S3ObjectStore implements ObjectStore {
    /** S3's limit for one {@code PutObject}. */
    static final long MAX_PUT_BYTES = 5L << 30;
    static final int CONDITIONAL_ATTEMPTS = 4;

    private final S3ObjectStoreConfig config;
    private final SdkHttpClient http;
    private final AwsCredentialsProvider credentials;
    private final S3Client s3;
    private final S3Client conditional;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** Opens the store; makes no request. */
    public S3ObjectStore(S3ObjectStoreConfig config) {
        this(config, UrlConnectionHttpClient.builder()
                .connectionTimeout(config.connectTimeout())
                .socketTimeout(config.readTimeout())
                .build());
    }

    /** Opens the store over the given transport, which it owns and closes (tests inject faults). */
    S3ObjectStore(S3ObjectStoreConfig config, SdkHttpClient http) {
        this.config = config;
        this.http = http;
        this.credentials = config.accessKey() == null
                ? DefaultCredentialsProvider.builder().build()
                : StaticCredentialsProvider.create(AwsBasicCredentials.create(config.accessKey(), config.secretKey()));
        this.s3 = client().build();
        this.conditional = client()
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build();
    }

    private S3ClientBuilder client() {
        S3ClientBuilder b = S3Client.builder()
                .httpClient(http)
                .region(Region.of(config.region()))
                .credentialsProvider(credentials)
                .serviceConfiguration(c -> c.pathStyleAccessEnabled(config.pathStyle()).chunkedEncodingEnabled(false))
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        if (config.endpoint() != null) {
            b.endpointOverride(config.endpoint());
        }
        return b;
    }

    public S3ObjectStoreConfig config() {
        return config;
    }

    @Override
    public String describe() {
        return config.location() + (config.endpoint() == null ? "" : " at " + config.endpoint());
    }

    @Override
    public void put(String key, byte[] data) {
        String name = name(key);
        Objects.requireNonNull(data, "data");
        try {
            s3.putObject(b -> b.bucket(config.bucket()).key(name), RequestBody.fromBytes(data));
        } catch (SdkException e) {
            throw failure("put", key, e);
        }
    }

    @Override
    public void put(String key, Path file) {
        String name = name(key);
        long size;
        try {
            if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
                throw StreamingException.invalidArgument("cannot put " + key + " from " + file
                        + ": not a readable regular file");
            }
            size = Files.size(file);
        } catch (IOException e) {
            throw StreamingException.invalidArgument("cannot put " + key + " from " + file + ": " + e);
        }
        if (size > MAX_PUT_BYTES) {
            throw StreamingException.invalidArgument("cannot put " + key + " from " + file + ": " + size
                    + " bytes is more than one S3 PutObject takes (" + MAX_PUT_BYTES + ")");
        }
        try {
            s3.putObject(b -> b.bucket(config.bucket()).key(name), RequestBody.fromFile(file));
        } catch (SdkException e) {
            throw failure("put", key, e);
        }
    }

    @Override
    public boolean createIfAbsent(String key, byte[] data) {
        String name = name(key);
        Objects.requireNonNull(data, "data");
        PutObjectRequest request = PutObjectRequest.builder()
                .bucket(config.bucket()).key(name).ifNoneMatch("*").build();
        SdkException unknown = null;
        Backoff pauses = new Backoff(Duration.ofMillis(50), Duration.ofMillis(1600), 2, 0.5, ThreadLocalRandom.current());
        for (int attempt = 1; attempt <= CONDITIONAL_ATTEMPTS; attempt++) {
            try {
                conditional.putObject(request, RequestBody.fromBytes(data));
                return true;
            } catch (S3Exception e) {
                if (e.statusCode() == 412) {
                    return unknown != null && holds(key, data, e);
                }
                if (!isOutcomeUnknown(e)) {
                    throw failure("createIfAbsent", key, e);
                }
                unknown = remember(unknown, e);
            } catch (SdkClientException e) {
                unknown = remember(unknown, e);
            }
            Optional<byte[]> now = readBack(key, unknown);
            if (now.isPresent()) {
                return Arrays.equals(now.get(), data);
            }
            LockSupport.parkNanos(pauses.nextNanos()); // a short randomised pause before trying again
        }
        throw new StreamingException(ErrorCode.INNER, "createIfAbsent " + key + " in " + describe()
                + ": " + CONDITIONAL_ATTEMPTS + " conditional puts failed and the key is still absent", unknown);
    }

    @Override
    public Optional<byte[]> get(String key) {
        String name = name(key);
        try {
            return Optional.of(s3.getObjectAsBytes(b -> b.bucket(config.bucket()).key(name)).asByteArrayUnsafe());
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (SdkException e) {
            throw failure("get", key, e);
        }
    }

    @Override
    public byte[] getRange(String key, long offset, int length) {
        String name = name(key);
        if (offset < 0 || length < 0) {
            throw StreamingException.invalidArgument("invalid range of " + key + ": offset " + offset
                    + ", length " + length);
        }
        try {
            if (length == 0) {
                s3.headObject(b -> b.bucket(config.bucket()).key(name));
                return new byte[0];
            }
            long last = offset > Long.MAX_VALUE - length ? Long.MAX_VALUE : offset + length - 1;
            ResponseBytes<GetObjectResponse> got = s3.getObjectAsBytes(b -> b.bucket(config.bucket()).key(name)
                    .range("bytes=" + offset + "-" + last));
            byte[] bytes = got.asByteArrayUnsafe();
            if (got.response().contentRange() != null) {
                return bytes;
            }
            // the service ignored the range and sent the whole object
            int from = (int) Math.min(offset, bytes.length);
            return Arrays.copyOfRange(bytes, from, (int) Math.min(bytes.length, (long) from + length));
        } catch (NoSuchKeyException e) {
            throw notFound(key, e);
        } catch (S3Exception e) {
            if (e.statusCode() == 416) {
                return new byte[0];
            }
            if (e.statusCode() == 404 && !(e instanceof NoSuchBucketException) && length == 0) {
                throw notFound(key, e);
            }
            throw failure("getRange", key, e);
        } catch (SdkException e) {
            throw failure("getRange", key, e);
        }
    }

    @Override
    public List<ObjectInfo> list(String prefix) {
        ObjectKeys.requireValidPrefix(prefix);
        ensureOpen();
        ListObjectsV2Request request = ListObjectsV2Request.builder()
                .bucket(config.bucket()).prefix(config.prefix() + prefix).build();
        List<ObjectInfo> found = new ArrayList<>();
        try {
            for (S3Object o : s3.listObjectsV2Paginator(request).contents()) {
                String key = o.key().substring(config.prefix().length());
                if (ObjectKeys.isValidKey(key)) {
                    found.add(new ObjectInfo(key, o.size()));
                }
            }
        } catch (SdkException e) {
            throw failure("list", prefix, e);
        }
        found.sort(Comparator.comparing(ObjectInfo::key));
        return found;
    }

    @Override
    public boolean delete(String key) {
        String name = name(key);
        try {
            s3.headObject(b -> b.bucket(config.bucket()).key(name));
        } catch (NoSuchKeyException e) {
            return false;
        } catch (S3Exception e) {
            if (e.statusCode() == 404 && !(e instanceof NoSuchBucketException)) {
                return false;
            }
            throw failure("delete", key, e);
        } catch (SdkException e) {
            throw failure("delete", key, e);
        }
        try {
            s3.deleteObject(b -> b.bucket(config.bucket()).key(name));
            return true;
        } catch (SdkException e) {
            throw failure("delete", key, e);
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            List<AutoCloseable> resources = new ArrayList<>(List.of(s3, conditional, http));
            if (credentials instanceof AutoCloseable) {
                resources.add((AutoCloseable) credentials);
            }
            Closeables.closeAll(resources);
        }
    }

    // ---------------------------------------------------------------- conditional create

    /**
     * Whether the failure leaves the conditional put's outcome unknown: the request may or may not
     * have been applied. Transport failures are handled by the caller; here the service answered.
     */
    private static boolean isOutcomeUnknown(S3Exception e) {
        return e.statusCode() >= 500 || e.statusCode() == 409 || e.statusCode() == 429;
    }

    /** After an unknown outcome: the key as it is now, read with retries. */
    private Optional<byte[]> readBack(String key, SdkException cause) {
        try {
            return get(key);
        } catch (StreamingException e) {
            e.addSuppressed(cause);
            throw e;
        }
    }

    private boolean holds(String key, byte[] data, S3Exception preconditionFailed) {
        return readBack(key, preconditionFailed).map(now -> Arrays.equals(now, data)).orElse(false);
    }

    private static SdkException remember(SdkException first, SdkException latest) {
        if (first == null) {
            return latest;
        }
        first.addSuppressed(latest);
        return first;
    }

    // ---------------------------------------------------------------- helpers

    /** The S3 object name of a valid key; checks the key first and the store's state next. */
    private String name(String key) {
        ObjectKeys.requireValidKey(key);
        ensureOpen();
        return config.prefix() + key;
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw StreamingException.onShutdown("object store " + describe() + " is closed");
        }
    }

    private StreamingException notFound(String key, Exception cause) {
        return new StreamingException(ErrorCode.NOT_FOUND, "no object " + key + " in " + describe(), cause);
    }

    private StreamingException failure(String operation, String key, SdkException e) {
        if (closed.get()) {
            return StreamingException.onShutdown("object store " + describe() + " was closed during " + operation);
        }
        String what = operation + " " + key + " in " + describe() + " failed: ";
        if (e instanceof NoSuchBucketException) {
            return new StreamingException(ErrorCode.NOT_FOUND, what + "bucket " + config.bucket() + " does not exist", e);
        }
        if (e instanceof S3Exception) {
            int status = ((S3Exception) e).statusCode();
            String detail = status + " " + e.getMessage();
            if (status == 400) {
                return new StreamingException(ErrorCode.INVALID_ARGUMENT, what + detail, e);
            }
            if (status == 401 || status == 403) {
                return new StreamingException(ErrorCode.UNRECOVERABLE, what + "access denied: " + detail, e);
            }
            return new StreamingException(ErrorCode.INNER, what + detail, e);
        }
        return new StreamingException(ErrorCode.INNER, what + e.getMessage(), e);
    }
}
