package io.tidelog.wal.local;

import io.tidelog.common.MessageId;
import io.tidelog.wal.WalBackend;
import io.tidelog.wal.WalBackendConformanceTest;
import io.tidelog.wal.WalBackends;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;

class SegmentFileWalBackendConformanceTest extends WalBackendConformanceTest {
    @TempDir
    Path dir;

    /** Small segments and batches, so that rolling, sealing and truncation happen in every test. */
    Map<String, String> properties() {
        return Map.of(
                LocalWalConfig.DIR, dir.toString(),
                LocalWalConfig.SEGMENT_BYTES, "512KiB",
                LocalWalConfig.BATCH_MAX_BYTES, "64KiB",
                LocalWalConfig.MAX_RECORD_BYTES, "128KiB");
    }

    @Override
    protected String backendName() {
        return SegmentFileWalBackend.NAME;
    }

    @Override
    protected WalBackend openBackend() {
        return WalBackends.create(SegmentFileWalBackend.NAME, properties());
    }

    @Override
    protected WalBackend crashAndReopen(WalBackend backend) {
        ((SegmentFileWalBackend) backend).crashForTesting();
        Random random = seeds.random();
        try (DirectoryStream<Path> pchannels = Files.newDirectoryStream(dir, p -> Files.isDirectory(p)
                && !p.getFileName().toString().startsWith("."))) {
            for (Path p : pchannels) {
                LocalFiles.tearTail(p, random);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return openBackend();
    }

    @Override
    protected void corruptRecord(String pchannel, MessageId id) {
        try {
            LocalFiles.flipPayloadByte(dir.resolve(pchannel), id);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
