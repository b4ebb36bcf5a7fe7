package io.tidelog.session;

import io.tidelog.meta.MetaStore;
import io.tidelog.meta.embedded.EmbeddedMetaStoreConfig;
import io.tidelog.meta.embedded.MvStoreMetaStore;
import io.tidelog.meta.etcd.EtcdMetaStore;
import io.tidelog.meta.etcd.EtcdMetaStoreConfig;
import io.tidelog.meta.etcd.EtcdServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** The two stores every contract test of this module runs on. */
final class TestStores {
    /** A session for tests that let leases expire: the store sees it gone 2 s after its last refresh. */
    static final SessionConfig SHORT = new SessionConfig(Duration.ofSeconds(2), Duration.ofMillis(200),
            Duration.ofMillis(500));

    private static final AtomicInteger ROOTS = new AtomicInteger();

    private TestStores() {
    }

    /** The embedded store in {@code dir}, judging leases by the system clock and looking for expired ones often. */
    static MetaStore embedded(Path dir) {
        return new MvStoreMetaStore(EmbeddedMetaStoreConfig.from(Map.of(EmbeddedMetaStoreConfig.DIR, dir.toString(),
                EmbeddedMetaStoreConfig.LEASE_CHECK_INTERVAL, "10ms")));
    }

    /** An etcd store on {@code etcd} under a root of its own (so each test starts empty), with a deadline of 1 s. */
    static MetaStore etcd(EtcdServer etcd) {
        Map<String, String> properties = new HashMap<>(etcd.storeProperties("session-test/" + ROOTS.incrementAndGet()
                + "/"));
        properties.put(EtcdMetaStoreConfig.REQUEST_TIMEOUT, "1s");
        return new EtcdMetaStore(EtcdMetaStoreConfig.from(properties));
    }
}
