package io.tidelog.server;

import java.util.List;

/**
 * {@link StandaloneEndToEndTest} with the WAL on object storage ({@code --wal objectstore}, the object store of
 * flushed segments under the data directory): the same kill -9, restart and history checks.
 */
class ObjectStoreStandaloneEndToEndTest extends StandaloneEndToEndTest {
    @Override
    protected List<String> walArgs() {
        return List.of("--wal", "objectstore");
    }
}
