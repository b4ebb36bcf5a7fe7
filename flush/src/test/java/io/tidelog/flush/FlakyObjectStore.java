package io.tidelog.flush;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.objectstore.InterceptedObjectStore;
import io.tidelog.objectstore.ObjectStore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** A real store that can be made to fail every call, as an unreachable object store does (for tests around it). */
final class FlakyObjectStore extends InterceptedObjectStore {
    final AtomicBoolean down = new AtomicBoolean();
    final AtomicInteger refused = new AtomicInteger();

    FlakyObjectStore(ObjectStore store) {
        super(store);
    }

    @Override
    protected void before(String operation) {
        if (down.get()) {
            refused.incrementAndGet();
            throw new StreamingException(ErrorCode.INNER, "the object store is unreachable (test)");
        }
    }

    @Override
    public String describe() {
        return "flaky " + super.describe();
    }
}
