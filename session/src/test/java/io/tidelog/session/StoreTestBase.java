package io.tidelog.session;

import io.tidelog.meta.MetaStore;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/**
 * The store and the clean-up shared by the contract tests: each subclass opens its store over an empty key space of
 * its own; what a test registers with {@link #closeLater} is closed in reverse order, then the store.
 */
abstract class StoreTestBase {
    private final List<AutoCloseable> toClose = new ArrayList<>();
    protected MetaStore store;

    /** A store over this test's own, empty key space. */
    protected abstract MetaStore openStore();

    protected MetaStore store() {
        if (store == null) {
            store = openStore();
        }
        return store;
    }

    @AfterEach
    void closeEverything() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        if (store != null) {
            store.close();
        }
    }

    protected <T extends AutoCloseable> T closeLater(T c) {
        toClose.add(c);
        return c;
    }
}
