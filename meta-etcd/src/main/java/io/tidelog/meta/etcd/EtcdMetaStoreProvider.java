package io.tidelog.meta.etcd;

import io.tidelog.meta.MetaStore;
import io.tidelog.meta.MetaStoreProvider;
import java.util.Map;

/** Registers the etcd store under the name {@code etcd}. */
public final class EtcdMetaStoreProvider implements MetaStoreProvider {
    @Override
    public String name() {
        return EtcdMetaStore.NAME;
    }

    @Override
    public MetaStore create(Map<String, String> properties) {
        return new EtcdMetaStore(EtcdMetaStoreConfig.from(properties));
    }
}
