package io.tidelog.wal;

/**
 * A WAL storage: the factory of per-pchannel {@link Wal}s. One instance per process and storage
 * location; shared by every pchannel it serves.
 *
 * <p>Backends are found by name through {@link WalBackends} ({@code ServiceLoader} of
 * {@link WalBackendProvider}). Every backend passes the shared conformance suite.
 */
public interface WalBackend extends AutoCloseable {

    /** The lowercase name this backend is registered under ({@code local}, {@code memory}, ...). */
    String name();

    /**
     * Opens a pchannel.
     *
     * <p>{@link AccessMode#READ_WRITE} at term {@code t}: the storage records {@code t} durably before
     * this returns, so that every log of an older term is fenced, including one in another process. It
     * fails with {@code CHANNEL_FENCED} if a term newer than {@code t} was already opened. Opening the
     * same term again is allowed only after the previous log of that term was closed (or its process
     * died). Any torn tail left by a crash, or by a failed write of an earlier log, is repaired before
     * this returns; if that repair cannot be written (a full disk) the open fails with
     * {@code RESOURCE_EXHAUSTED} and may be retried.
     *
     * <p>{@link AccessMode#READ_ONLY}: no side effect on the storage.
     */
    Wal open(OpenOptions options);

    /** Closes every log opened from this backend, then the backend; idempotent. */
    @Override
    void close();
}
