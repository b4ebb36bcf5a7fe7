package io.tidelog.wal.local;

import io.tidelog.wal.WalKillNineTest;
import java.util.Map;

/**
 * kill -9 of a process appending to the local backend, three times at new terms, so that the log holds torn
 * tails, seals and several terms; small segments and batches so that every kill lands among many of both.
 */
class SegmentFileWalKillNineTest extends WalKillNineTest {
    @Override
    protected String backendName() {
        return SegmentFileWalBackend.NAME;
    }

    @Override
    protected Map<String, String> backendProperties() {
        return Map.of(
                LocalWalConfig.DIR, scratch.resolve("wal").toString(),
                LocalWalConfig.SEGMENT_BYTES, "256KiB",
                LocalWalConfig.BATCH_MAX_BYTES, "32KiB",
                LocalWalConfig.MAX_RECORD_BYTES, "64KiB");
    }
}
