package io.tidelog.session;

import io.tidelog.meta.MetaStore;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedSessionTest extends SessionContractTest {
    @TempDir
    Path dir;

    @Override
    protected MetaStore openStore() {
        return TestStores.embedded(dir);
    }
}
