package io.tidelog.session;

import io.tidelog.meta.MetaStore;
import io.tidelog.meta.etcd.EtcdServer;
import org.junit.jupiter.api.extension.RegisterExtension;

class EtcdLeaderElectionTest extends LeaderElectionContractTest {
    @RegisterExtension
    static final EtcdServer ETCD = new EtcdServer();

    @Override
    protected MetaStore openStore() {
        return TestStores.etcd(ETCD);
    }

    @Override
    protected int randomSteps() {
        return 40;
    }
}
