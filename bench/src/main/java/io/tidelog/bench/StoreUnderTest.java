package io.tidelog.bench;

import io.tidelog.objectstore.ObjectStores;
import io.tidelog.objectstore.s3.S3ProxyServer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * An object store the {@code wal-objectstore} benchmark writes to, one fresh and empty store per sample, seen
 * through a {@link CountingObjectStore}:
 * <ul>
 *   <li>{@code directory}: a {@code DirectoryObjectStore} ({@code file:DIR}) in a new sub-directory of the run's
 *       directory;</li>
 *   <li>{@code s3}: a new bucket of a real S3 server, s3proxy, started in this JVM once for the run on a free
 *       loopback port and keeping its objects as files in the run's directory (its {@code filesystem-nio2}
 *       store), reached through the {@code S3ObjectStore} over HTTP as any S3 service would be.</li>
 * </ul>
 * A sample's objects are removed from the disk when it closes, so that a run does not fill the disk. Both kinds
 * write to the disk of {@code --dir}: their PUTs cost a file write and its fsync, and on S3 also the HTTP round
 * trip, the SDK and the server.
 */
final class StoreUnderTest implements AutoCloseable {
    /** The store kinds, by the name {@code --store} gives them. */
    static final String DIRECTORY = "directory";
    static final String S3 = "s3";

    private final String name;
    private final WorkDir work;
    private final S3ProxyServer s3;
    private final Path s3Dir;
    private int opened;

    private StoreUnderTest(String name, WorkDir work, S3ProxyServer s3, Path s3Dir) {
        this.name = name;
        this.work = work;
        this.s3 = s3;
        this.s3Dir = s3Dir;
    }

    /** Directory stores in {@code work}. */
    static StoreUnderTest directory(WorkDir work) {
        return new StoreUnderTest(DIRECTORY, work, null, null);
    }

    /** Starts s3proxy with its objects in {@code work}; closing this stops it. */
    static StoreUnderTest s3(WorkDir work) throws Exception {
        Path dir = work.newDirectory("s3proxy");
        return new StoreUnderTest(S3, work, new S3ProxyServer(dir), dir);
    }

    String name() {
        return name;
    }

    /** What every sample of this kind is, for the report header. */
    String describe() {
        return s3 == null ? "file:<run dir>/<sample>, a fresh directory per sample"
                : "s3://<sample>/ on s3proxy at " + s3.endpoint() + " in this JVM (filesystem-nio2 in the run directory),"
                + " a fresh bucket per sample";
    }

    /** A fresh, empty store named after {@code label}. */
    Sample open(String label) throws IOException {
        String id = label + "-" + (++opened);
        if (s3 == null) {
            Path dir = work.newDirectory(id);
            String uri = "file:" + dir.toAbsolutePath();
            return new Sample(uri, new CountingObjectStore(ObjectStores.open(uri, Map.of())), dir);
        }
        s3.createBucket(id);
        String uri = "s3://" + id;
        return new Sample(uri, new CountingObjectStore(ObjectStores.open(uri, s3.settings())), s3Dir.resolve(id));
    }

    /**
     * One sample's store: its URI (as a backend would be configured with it) and the store itself. Closing closes
     * the store and deletes its objects from the disk (an s3 bucket's directory: the bucket is not used again).
     */
    record Sample(String uri, CountingObjectStore store, Path dir) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            try {
                store.close();
            } finally {
                WorkDir.delete(dir);
            }
        }
    }

    @Override
    public void close() {
        if (s3 != null) {
            s3.close();
        }
    }
}
