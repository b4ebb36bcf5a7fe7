package io.tidelog.wal.memory;

import io.tidelog.common.MessageId;
import io.tidelog.wal.WalBackend;
import io.tidelog.wal.WalBackendConformanceTest;
import java.util.Map;

class MemoryWalBackendConformanceTest extends WalBackendConformanceTest {
    private final MemoryStorage storage = new MemoryStorage();
    private final MemoryWalConfig config = MemoryWalConfig.from(Map.of("wal.memory.max.record.bytes", "1MiB"));

    @Override
    protected String backendName() {
        return MemoryWalBackend.NAME;
    }

    @Override
    protected WalBackend openBackend() {
        return new MemoryWalBackend(config, storage);
    }

    @Override
    protected WalBackend crashAndReopen(WalBackend backend) {
        ((MemoryWalBackend) backend).crash();
        return openBackend();
    }

    @Override
    protected void corruptRecord(String pchannel, MessageId id) {
        storage.corrupt(pchannel, id);
    }
}
