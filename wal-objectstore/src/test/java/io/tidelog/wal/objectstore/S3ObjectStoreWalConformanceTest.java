package io.tidelog.wal.objectstore;

import io.tidelog.common.MessageId;
import io.tidelog.objectstore.s3.S3ProxyServer;
import io.tidelog.wal.WalBackend;
import io.tidelog.wal.WalBackendConformanceTest;
import io.tidelog.wal.WalBackends;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import software.amazon.awssdk.core.sync.RequestBody;

/** The WAL contract, on the objectstore backend over a real S3 server (s3proxy, in this JVM). */
class S3ObjectStoreWalConformanceTest extends WalBackendConformanceTest {
    private static final String BUCKET = "wal";
    private static final AtomicInteger RUNS = new AtomicInteger();
    private static S3ProxyServer server;
    private String prefix;

    @BeforeAll
    static void startServer() throws Exception {
        server = new S3ProxyServer();
        server.createBucket(BUCKET);
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @BeforeEach
    void freshPrefix() {
        prefix = "run-" + RUNS.incrementAndGet();
    }

    @Override
    protected String backendName() {
        return ObjectStoreWalBackend.NAME;
    }

    @Override
    protected WalBackend openBackend() {
        Map<String, String> p = ObjectStoreWalTesting.smallBlocks("s3://" + BUCKET + "/" + prefix);
        p.putAll(ObjectStoreWalTesting.s3Settings(server));
        return WalBackends.create(ObjectStoreWalBackend.NAME, p);
    }

    @Override
    protected WalBackend crashAndReopen(WalBackend backend) {
        ((ObjectStoreWalBackend) backend).crashForTesting();
        return openBackend();
    }

    @Override
    protected void corruptRecord(String pchannel, MessageId id) {
        String key = prefix + "/" + BlockImages.blockKey(pchannel, id);
        byte[] bytes = server.admin().getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asByteArray();
        server.admin().putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromBytes(BlockImages.flipPayloadByte(bytes, id)));
    }
}
