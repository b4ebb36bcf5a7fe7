package io.tidelog.objectstore;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A real store seen through a hook that runs before every call, for tests of what sits on a store: the hook
 * throws to fail the call, as an unreachable store or a process dying midway would. {@link #close} closes the
 * real store.
 */
public abstract class InterceptedObjectStore implements ObjectStore {
    private final ObjectStore store;

    protected InterceptedObjectStore(ObjectStore store) {
        this.store = store;
    }

    /**
     * Runs before each call but {@link #describe} and {@link #close}; throws to fail it.
     *
     * @param operation the method's name: {@code put}, {@code createIfAbsent}, {@code get}, {@code getRange},
     *                  {@code list} or {@code delete}
     */
    protected abstract void before(String operation);

    @Override
    public void put(String key, byte[] data) {
        before("put");
        store.put(key, data);
    }

    @Override
    public void put(String key, Path file) {
        before("put");
        store.put(key, file);
    }

    @Override
    public boolean createIfAbsent(String key, byte[] data) {
        before("createIfAbsent");
        return store.createIfAbsent(key, data);
    }

    @Override
    public Optional<byte[]> get(String key) {
        before("get");
        return store.get(key);
    }

    @Override
    public byte[] getRange(String key, long offset, int length) {
        before("getRange");
        return store.getRange(key, offset, length);
    }

    @Override
    public List<ObjectInfo> list(String prefix) {
        before("list");
        return store.list(prefix);
    }

    @Override
    public boolean delete(String key) {
        before("delete");
        return store.delete(key);
    }

    @Override
    public String describe() {
        return store.describe();
    }

    @Override
    public void close() {
        store.close();
    }
}
