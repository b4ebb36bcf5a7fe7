package io.tidelog.meta.etcd;

import io.tidelog.meta.KeyValue;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.MetaStoreConformanceTest;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The meta store contract against a real etcd, one server for the whole class. Each test gets a root of its own,
 * so it starts from an empty store, while revisions are etcd's, shared by every test.
 *
 * <p>etcd's lease clock cannot be driven: {@link #advanceClock} lets the time pass, with leases of 4 s (etcd counts
 * whole seconds and checks for expired leases every 500 ms; the suite's canaries live a half and a tenth of that).
 * Two things of one test would otherwise reach into the next through the shared server: a lease it left alive
 * expiring later and taking a revision, and compaction, which is etcd-wide and cannot be undone. So before each
 * test the leases still holding keys are revoked, and after a test that compacted etcd starts afresh.
 */
class EtcdMetaStoreConformanceTest extends MetaStoreConformanceTest {
    private static final String ROOTS = "conformance/";
    private static final AtomicInteger TESTS = new AtomicInteger();

    @RegisterExtension
    static final EtcdServer ETCD = new EtcdServer();

    private static boolean compacted;

    private String root;

    @BeforeEach
    void freshRootOnACleanServer() {
        if (compacted) {
            ETCD.wipe();
            compacted = false;
        }
        try (MetaStore all = new EtcdMetaStore(EtcdMetaStoreConfig.from(ETCD.storeProperties(ROOTS)))) {
            Set<Long> leases = new TreeSet<>();
            all.scan("").stream().map(KeyValue::lease).filter(l -> l != MetaStore.NO_LEASE).forEach(leases::add);
            leases.forEach(all::revokeLease);
        }
        root = ROOTS + TESTS.incrementAndGet() + "/";
    }

    @Override
    protected String storeName() {
        return EtcdMetaStore.NAME;
    }

    @Override
    protected MetaStore openStore() {
        return new EtcdMetaStore(EtcdMetaStoreConfig.from(ETCD.storeProperties(root)));
    }

    /** A crash of the server: SIGKILL and a restart on the same data; the old client goes with it. */
    @Override
    protected MetaStore crashAndReopen(MetaStore store) {
        ETCD.kill();
        ETCD.start();
        store.close();
        return openStore();
    }

    /** etcd's own compaction, after filler writes up to the revision (etcd compacts only what it has). */
    @Override
    protected void compactHistory(MetaStore store, long belowRevision) {
        byte[] filler = new byte[8];
        while (store.currentRevision() < belowRevision) {
            store.put("compaction-filler/x", filler);
        }
        ETCD.compact(belowRevision);
        compacted = true;
    }

    /** etcd judges leases by its own clock: the time has to pass. */
    @Override
    protected void advanceClock(Duration d) {
        clock.advance(d);
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while letting " + d + " pass", e);
        }
    }

    @Override
    protected Duration leaseTtl() {
        return Duration.ofSeconds(4);
    }
}
