package io.tidelog.wal.objectstore;

import io.tidelog.objectstore.s3.S3ProxyServer;
import io.tidelog.wal.WalFencingRaceTest;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** Two processes racing on one pchannel of the objectstore backend over a real S3 server (s3proxy, in this JVM). */
class S3ObjectStoreWalFencingRaceTest extends WalFencingRaceTest {
    private static S3ProxyServer server;

    @TempDir
    static Path objects;

    @BeforeAll
    static void startServer() throws Exception {
        server = new S3ProxyServer(objects); // on disk: the stale writers write more than a heap holds
        server.createBucket("race");
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Override
    protected String backendName() {
        return ObjectStoreWalBackend.NAME;
    }

    @Override
    protected Map<String, String> backendProperties() {
        Map<String, String> p = ObjectStoreWalTesting.smallBlocks("s3://race/" + scratch.getFileName());
        p.putAll(ObjectStoreWalTesting.s3Settings(server));
        return p;
    }
}
