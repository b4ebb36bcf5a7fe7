package io.tidelog.objectstore.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.objectstore.ObjectInfo;
import io.tidelog.objectstore.ObjectStore;
import io.tidelog.objectstore.ObjectStoreConformanceTest;
import io.tidelog.objectstore.ObjectStores;
import java.net.URI;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;

/** The conformance suite and the S3-specific behaviour, against a real s3proxy in this JVM. */
class S3ObjectStoreTest extends ObjectStoreConformanceTest {
    private static final String BUCKET = "tidelog-test";
    private static S3ProxyServer server;
    private static int stores;

    private final Map<ObjectStore, String> uris = new IdentityHashMap<>();

    @BeforeAll
    static void startServer() throws Exception {
        server = new S3ProxyServer();
        server.createBucket(BUCKET);
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    /** Every store of the class gets a fresh prefix of its own, two levels deep. */
    @Override
    protected ObjectStore newStore() {
        return open("s3://" + BUCKET + "/run-" + stores++ + "/store");
    }

    @Override
    protected ObjectStore reopen(ObjectStore store) {
        return open(uris.get(store));
    }

    private ObjectStore open(String uri) {
        ObjectStore store = ObjectStores.open(uri, server.settings());
        uris.put(store, uri);
        return store;
    }

    private S3ObjectStore faultyStore(FaultyHttpClient http) {
        S3ObjectStoreConfig config = S3ObjectStoreConfig.from(URI.create("s3://" + BUCKET + "/faulty-" + stores++),
                server.settings(), Map.of());
        return closeLater(new S3ObjectStore(config, http));
    }

    // ---------------------------------------------------------------- opening

    @Test
    void aStoreIsOpenedByItsS3UriAndDescribesItself() {
        ObjectStore store = closeLater(ObjectStores.open("s3://" + BUCKET + "/described/here", server.settings()));
        assertThat(store).isInstanceOf(S3ObjectStore.class);
        assertThat(store.describe()).isEqualTo("s3://" + BUCKET + "/described/here/ at " + server.endpoint());
        store.put("k", utf8("v"));
        assertThat(server.admin().getObjectAsBytes(b -> b.bucket(BUCKET).key("described/here/k")).asUtf8String())
                .isEqualTo("v");
    }

    @Test
    void aStoreAtTheRootOfABucketSeesTheWholeBucketButNotForeignNames() {
        server.createBucket("rooted");
        ObjectStore store = closeLater(ObjectStores.open("s3://rooted", server.settings()));
        store.put("a/b", utf8("1"));
        server.admin().putObject(b -> b.bucket("rooted").key("a/dir-marker/"), RequestBody.empty());
        server.admin().putObject(b -> b.bucket("rooted").key("a/.tidelog-foreign"), RequestBody.fromString("x"));
        server.admin().putObject(b -> b.bucket("rooted").key("c"), RequestBody.fromString("xy"));
        assertThat(store.list("")).containsExactly(new ObjectInfo("a/b", 1), new ObjectInfo("c", 2));
        assertThat(store.get("c")).hasValueSatisfying(v -> assertThat(v).isEqualTo(utf8("xy")));
    }

    @Test
    void storesUnderNeighbouringPrefixesDoNotSeeEachOther() {
        ObjectStore a = closeLater(ObjectStores.open("s3://" + BUCKET + "/iso/a", server.settings()));
        ObjectStore ab = closeLater(ObjectStores.open("s3://" + BUCKET + "/iso/ab", server.settings()));
        a.put("k", utf8("a"));
        ab.put("k", utf8("ab"));
        assertThat(a.list("")).containsExactly(new ObjectInfo("k", 1));
        assertThat(ab.list("")).containsExactly(new ObjectInfo("k", 2));
        assertThat(a.delete("k")).isTrue();
        assertThat(ab.get("k")).isPresent();
    }

    /**
     * s3proxy may answer an upload it rejects (missing bucket, bad signature) before reading the body
     * and close the connection; the client then sees a transport failure, {@code INNER}, instead of
     * the service's answer. Requests without a body always get the answer.
     */
    private static void assertUploadFailsWith(ErrorCode code, Runnable upload) {
        assertThatThrownBy(upload::run).isInstanceOfSatisfying(StreamingException.class,
                e -> assertThat(e.code()).as(e.getMessage()).isIn(code, ErrorCode.INNER));
    }

    @Test
    void aMissingBucketFailsWithNotFound() {
        ObjectStore store = closeLater(ObjectStores.open("s3://no-such-bucket/p", server.settings()));
        assertFailsWith(ErrorCode.NOT_FOUND, () -> store.get("k"));
        assertFailsWith(ErrorCode.NOT_FOUND, () -> store.list(""));
        assertFailsWith(ErrorCode.NOT_FOUND, () -> store.getRange("k", 0, 10));
        assertFailsWith(ErrorCode.NOT_FOUND, () -> store.createIfAbsent("k", utf8("v")));
        assertUploadFailsWith(ErrorCode.NOT_FOUND, () -> store.put("k", utf8("v")));
    }

    @Test
    void wrongCredentialsFailWithUnrecoverable() {
        Map<String, String> settings = new HashMap<>(server.settings());
        settings.put(S3ObjectStoreConfig.SECRET_KEY, "wrong");
        ObjectStore store = closeLater(ObjectStores.open("s3://" + BUCKET + "/denied", settings));
        assertFailsWith(ErrorCode.UNRECOVERABLE, () -> store.get("k"));
        assertFailsWith(ErrorCode.UNRECOVERABLE, () -> store.list(""));
        assertUploadFailsWith(ErrorCode.UNRECOVERABLE, () -> store.put("k", utf8("v")));
    }

    @Test
    void anUnreachableServiceFailsWithInner() {
        Map<String, String> settings = new HashMap<>(server.settings());
        settings.put(S3ObjectStoreConfig.ENDPOINT, "http://127.0.0.1:1");
        settings.put(S3ObjectStoreConfig.CONNECT_TIMEOUT, "2s");
        ObjectStore store = closeLater(ObjectStores.open("s3://" + BUCKET + "/unreachable", settings));
        assertThatThrownBy(() -> store.get("k")).isInstanceOfSatisfying(StreamingException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.INNER);
            assertThat(e.isRetriable()).isTrue();
        });
    }

    @Test
    void uploadsArePlainBodiesSoEmptyObjectsDoNotBreakKeptAliveConnections() {
        FaultyHttpClient http = new FaultyHttpClient();
        S3ObjectStore store = faultyStore(http);
        store.put("empty", new byte[0]);
        assertThat(store.createIfAbsent("empty-too", new byte[0])).isTrue();
        assertThat(http.requests()).hasSize(2).allSatisfy(r -> {
            assertThat(r.firstMatchingHeader("Content-Encoding")).isEmpty();
            assertThat(r.firstMatchingHeader("Content-Length")).hasValue("0");
            assertThat(r.firstMatchingHeader("x-amz-trailer")).isEmpty();
            assertThat(r.firstMatchingHeader("x-amz-sdk-checksum-algorithm")).isEmpty();
        });
        for (int i = 0; i < 100; i++) {
            store.put("empties/" + i, new byte[0]);
        }
        assertThat(store.list("empties/")).hasSize(100).allSatisfy(o -> assertThat(o.size()).isZero());
    }

    // ---------------------------------------------------------------- conditional puts with unknown outcomes

    @Test
    void aConditionalPutWhoseResponseIsLostStillReportsTheWin() {
        FaultyHttpClient http = new FaultyHttpClient();
        S3ObjectStore store = faultyStore(http);
        http.breakConditionalPuts(FaultyHttpClient.Fault.RESPONSE_LOST, 1);
        assertThat(store.createIfAbsent("won", utf8("mine"))).isTrue();
        assertThat(http.conditionalPuts()).isEqualTo(1);
        assertThat(store.get("won")).hasValueSatisfying(v -> assertThat(v).isEqualTo(utf8("mine")));
    }

    @Test
    void aConditionalPutWhoseResponseIsLostAfterAnotherWriterWonReportsTheLoss() {
        FaultyHttpClient http = new FaultyHttpClient();
        S3ObjectStore store = faultyStore(http);
        store.put("taken", utf8("theirs"));
        http.breakConditionalPuts(FaultyHttpClient.Fault.RESPONSE_LOST, 1);
        assertThat(store.createIfAbsent("taken", utf8("mine"))).isFalse();
        assertThat(store.get("taken")).hasValueSatisfying(v -> assertThat(v).isEqualTo(utf8("theirs")));
    }

    @Test
    void aConditionalPutThatNeverArrivedIsTriedAgain() {
        FaultyHttpClient http = new FaultyHttpClient();
        S3ObjectStore store = faultyStore(http);
        http.breakConditionalPuts(FaultyHttpClient.Fault.NEVER_SENT, 2);
        assertThat(store.createIfAbsent("late", utf8("mine"))).isTrue();
        assertThat(http.conditionalPuts()).isEqualTo(3);
        assertThat(store.get("late")).hasValueSatisfying(v -> assertThat(v).isEqualTo(utf8("mine")));
    }

    @Test
    void aPreconditionFailureAfterAnUnknownOutcomeIsResolvedByReadingBack() {
        FaultyHttpClient http = new FaultyHttpClient();
        S3ObjectStore store = faultyStore(http);
        // the first attempt fails and is not there when read back, but lands just before the second
        // attempt, which then gets 412 for our own object
        http.breakConditionalPuts(FaultyHttpClient.Fault.DELAYED, 1);
        assertThat(store.createIfAbsent("echo", utf8("mine"))).isTrue();
        assertThat(http.conditionalPuts()).isEqualTo(2);
        assertThat(store.get("echo")).hasValueSatisfying(v -> assertThat(v).isEqualTo(utf8("mine")));
    }

    @Test
    void aConditionalPutThatNeverArrivesGivesUpWithInnerAndCreatesNothing() {
        FaultyHttpClient http = new FaultyHttpClient();
        S3ObjectStore store = faultyStore(http);
        http.breakConditionalPuts(FaultyHttpClient.Fault.NEVER_SENT, Integer.MAX_VALUE);
        assertFailsWith(ErrorCode.INNER, () -> store.createIfAbsent("never", utf8("mine")));
        assertThat(http.conditionalPuts()).isEqualTo(S3ObjectStore.CONDITIONAL_ATTEMPTS);
        assertThat(store.get("never")).isEmpty();
    }
}
