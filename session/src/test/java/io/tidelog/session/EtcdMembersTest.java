package io.tidelog.session;

import io.tidelog.meta.MetaStore;
import io.tidelog.meta.etcd.EtcdServer;
import org.junit.jupiter.api.extension.RegisterExtension;

class EtcdMembersTest extends MembersContractTest {
    @RegisterExtension
    static final EtcdServer ETCD = new EtcdServer();

    @Override
    protected MetaStore openStore() {
        return TestStores.etcd(ETCD);
    }
}
