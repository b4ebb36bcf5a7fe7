package io.tidelog.common;

import java.util.List;

/** Closing helpers: keep closing past failures, then report the first one with the rest suppressed. */
public final class Closeables {
    private Closeables() {
    }

    /** Closes every non-null resource in the given order; rethrows the first failure after all ran. */
    public static void closeAll(AutoCloseable... resources) {
        closeAll(List.of(resources));
    }

    /** Closes every non-null resource in the given order; rethrows the first failure after all ran. */
    public static void closeAll(Iterable<? extends AutoCloseable> resources) {
        Throwable first = null;
        for (AutoCloseable r : resources) {
            if (r == null) {
                continue;
            }
            try {
                r.close();
            } catch (Throwable t) {
                if (first == null) {
                    first = t;
                } else {
                    first.addSuppressed(t);
                }
            }
        }
        if (first instanceof RuntimeException) {
            throw (RuntimeException) first;
        }
        if (first instanceof Error) {
            throw (Error) first;
        }
        if (first != null) {
            throw StreamingException.inner("close failed", first);
        }
    }

    /** Closes and ignores any failure: for error paths where a failure is already being reported. */
    public static void closeQuietly(AutoCloseable resource, Throwable primary) {
        if (resource == null) {
            return;
        }
        try {
            resource.close();
        } catch (Throwable t) {
            if (primary != null && primary != t) {
                primary.addSuppressed(t);
            }
        }
    }
}
