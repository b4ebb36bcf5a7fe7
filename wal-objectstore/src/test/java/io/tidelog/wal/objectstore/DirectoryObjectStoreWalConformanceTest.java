package io.tidelog.wal.objectstore;

import io.tidelog.common.MessageId;
import io.tidelog.wal.WalBackend;
import io.tidelog.wal.WalBackendConformanceTest;
import io.tidelog.wal.WalBackends;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

/** The WAL contract, on the objectstore backend over a local directory ({@code file:DIR}). */
class DirectoryObjectStoreWalConformanceTest extends WalBackendConformanceTest {
    @TempDir
    Path dir;

    @Override
    protected String backendName() {
        return ObjectStoreWalBackend.NAME;
    }

    @Override
    protected WalBackend openBackend() {
        return WalBackends.create(ObjectStoreWalBackend.NAME, ObjectStoreWalTesting.smallBlocks("file:" + dir));
    }

    @Override
    protected WalBackend crashAndReopen(WalBackend backend) {
        ((ObjectStoreWalBackend) backend).crashForTesting();
        return openBackend();
    }

    @Override
    protected void corruptRecord(String pchannel, MessageId id) {
        Path file = dir.resolve(BlockImages.blockKey(pchannel, id));
        try {
            byte[] damaged = BlockImages.flipPayloadByte(Files.readAllBytes(file), id);
            Files.delete(file);
            Files.write(file, damaged);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
