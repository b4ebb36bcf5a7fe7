package io.tidelog.objectstore;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A durable map from keys to byte objects under one root (a local directory, an S3 bucket and prefix).
 * Tidelog keeps everything it writes to object storage behind this interface: WAL objects of the
 * object-store WAL, Parquet files and manifests of flushed segments.
 *
 * <p><b>Keys.</b> {@code /}-separated paths relative to the store's root, checked by
 * {@link ObjectKeys#requireValidKey}: non-empty, no leading or trailing {@code /}, no empty,
 * {@code .} or {@code ..} segment, no control character, at most {@value ObjectKeys#MAX_KEY_BYTES}
 * UTF-8 bytes in all and {@value ObjectKeys#MAX_SEGMENT_BYTES} per segment; segments starting with
 * {@value ObjectKeys#RESERVED_SEGMENT_PREFIX} are reserved for the stores' own files. A key that breaks
 * a rule fails with {@code INVALID_ARGUMENT} on every store, before anything is done. Keys name the
 * leaves of a tree, as file names do: a store on a file system cannot hold both {@code a} and
 * {@code a/b}, and fails the second write with {@code INVALID_ARGUMENT}; Tidelog's layouts never do this.
 *
 * <p><b>Atomicity.</b> An object is written whole: a reader (of this or any other instance over the
 * same root, in any process) sees either the whole previous object or the whole new one, never a part
 * or a mix, and never an object that a failed write left half-done.
 *
 * <p><b>Durability point.</b> When {@link #put}, {@link #createIfAbsent} (returning {@code true}) or
 * {@link #delete} returns normally, the change survives a crash of the process and of the machine
 * (local directory: {@code fsync} of the file and of its directory; S3: the service's acknowledgement).
 *
 * <p><b>Consistency.</b> Read-after-write: once a write has returned, every later call on any instance
 * over the same root sees it, including {@link #list}.
 *
 * <p><b>Idempotency.</b> {@link #put} and {@link #delete} may be retried freely: a retry of a put
 * replaces the object with the same bytes, a delete of a missing object returns {@code false}.
 * {@link #createIfAbsent} resolves retries itself (see there).
 *
 * <p><b>Failures</b> are {@link io.tidelog.common.StreamingException}s with these codes:
 * <ul>
 *   <li>{@code INVALID_ARGUMENT}: a bad key, prefix, range or source file; nothing was done.</li>
 *   <li>{@code NOT_FOUND}: {@link #getRange} of a missing object, or the store's root itself (an S3
 *       bucket) does not exist.</li>
 *   <li>{@code INNER}: an I/O or transport failure, possibly transient; retrying may help. For a write
 *       the outcome is unknown: the key holds the whole old or the whole new object.</li>
 *   <li>{@code UNRECOVERABLE}: the service refused the credentials or the permission.</li>
 *   <li>{@code ON_SHUTDOWN}: the store was closed.</li>
 * </ul>
 * Expected outcomes are values: a missing object is an empty {@link Optional}, a lost conditional
 * create is {@code false}.
 *
 * <p><b>Threads.</b> Every method is thread-safe and synchronous: it blocks the calling thread until
 * the operation is complete. A store owns no thread of its own (a client library under it may).
 *
 * <p><b>Lifetime.</b> Opened by {@link ObjectStores#open}; {@link #close} is idempotent, after it every
 * operation fails with {@code ON_SHUTDOWN}. Closing a store never deletes anything it stored.
 */
public interface ObjectStore extends AutoCloseable {

    /**
     * Creates or replaces the object {@code key} with a copy of {@code data}; atomic and durable on
     * return (see the class comment).
     */
    void put(String key, byte[] data);

    /**
     * Creates or replaces the object {@code key} with the contents of a local file, streamed rather
     * than loaded into memory; atomic and durable on return. The file must not change while this runs.
     *
     * @throws io.tidelog.common.StreamingException {@code INVALID_ARGUMENT} if {@code file} is not a
     *         readable regular file, or is larger than the store accepts in one object
     */
    void put(String key, Path file);

    /**
     * Creates the object {@code key} only if no object of that name exists: a conditional create
     * ({@code If-None-Match: *} on S3, {@code link(2)} of a fully written file on a local directory).
     * An existing object is never modified. Among concurrent callers on one key with distinct bytes, in
     * any number of processes and instances over the same root, exactly one returns {@code true} (if
     * none fails) and the object then holds its bytes. Durable on return when it returns {@code true}.
     *
     * <p><b>Outcome unknown.</b> When a transport failure hides whether the conditional write happened
     * (S3: a connection broken after the request was sent; a server may also close the connection on a
     * {@code 412} without reading the body), the store re-reads the key: if it holds exactly {@code data}
     * it returns {@code true}, otherwise {@code false}, and if it is absent it tries again (a bounded
     * number of times, then fails with {@code INNER}). Returning {@code true} on equal content is safe
     * because it is indistinguishable from having won: callers that need exactly one winner among
     * racers must give each racer distinct bytes (for example include the writer's identity), which
     * Tidelog always does.
     *
     * @return {@code true} if this call created the object, {@code false} if it already existed
     */
    boolean createIfAbsent(String key, byte[] data);

    /** The whole object {@code key}, or empty if there is none. */
    Optional<byte[]> get(String key);

    /**
     * Up to {@code length} bytes of the object {@code key} starting at byte {@code offset}. A range that
     * runs past the end of the object returns the bytes that exist, which is an empty array when
     * {@code offset} is at or beyond the end; the result is shorter than {@code length} only then.
     *
     * @throws io.tidelog.common.StreamingException {@code NOT_FOUND} if there is no object {@code key};
     *         {@code INVALID_ARGUMENT} if {@code offset} or {@code length} is negative
     */
    byte[] getRange(String key, long offset, int length);

    /**
     * Every object whose key starts with {@code prefix}, a plain string prefix with no directory
     * semantics ({@code "seg"} matches {@code seg/1} and {@code segment}; {@code ""} matches everything),
     * sorted by key ({@link String#compareTo}). Nested keys are included. Objects whose names are not
     * valid keys (written by other tools, such as S3 "directory markers" ending in {@code /}) and the
     * stores' own temporary files are left out. Not a snapshot: objects written or deleted while it
     * runs may or may not appear.
     *
     * @throws io.tidelog.common.StreamingException {@code INVALID_ARGUMENT} for a prefix that no valid
     *         key could start with (see {@link ObjectKeys#requireValidPrefix})
     */
    List<ObjectInfo> list(String prefix);

    /**
     * Deletes the object {@code key}; idempotent, durable on return.
     *
     * @return {@code true} if an object existed and is now deleted, {@code false} if there was none.
     *         On S3 this is learnt by a {@code HEAD} before the {@code DELETE}: two concurrent deletes
     *         of one object may both return {@code true}.
     */
    boolean delete(String key);

    /** Where the store is, for logs and errors: {@code file:/abs/dir}, {@code s3://bucket/prefix}. */
    String describe();

    /** Releases the store's resources; idempotent. Nothing stored is touched. */
    @Override
    void close();
}
