package io.tidelog.session;

import io.tidelog.meta.MetaStore;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedLeaderElectionTest extends LeaderElectionContractTest {
    @TempDir
    Path dir;

    @Override
    protected MetaStore openStore() {
        return TestStores.embedded(dir);
    }

    @Override
    protected int randomSteps() {
        return 80;
    }
}
