package io.tidelog.meta.embedded;

import io.tidelog.common.Settings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Configuration of the embedded meta store; each key beside its default, validated once.
 *
 * @param dir                {@code meta.embedded.dir} (required): the data directory; the store is the
 *                           file {@code meta.mv.db} in it, and one process owns it at a time
 * @param historyRevisions   {@code meta.embedded.history.revisions} (10000): how many of the latest
 *                           revisions keep their changes for watches that resume from the past; older
 *                           history is compacted as new revisions are written
 * @param leaseCheckInterval {@code meta.embedded.lease.check.interval} (100ms): how often the writer
 *                           thread looks for expired leases; keys of an expired lease are deleted at
 *                           most about this long after the deadline
 */
public record EmbeddedMetaStoreConfig(Path dir, int historyRevisions, Duration leaseCheckInterval) {
    public static final String PREFIX = "meta.embedded.";
    public static final String DIR = PREFIX + "dir";
    public static final String HISTORY_REVISIONS = PREFIX + "history.revisions";
    public static final String LEASE_CHECK_INTERVAL = PREFIX + "lease.check.interval";

    /** The name of the store file inside {@link #dir()}. */
    public static final String FILE_NAME = "meta.mv.db";

    public static EmbeddedMetaStoreConfig from(Map<String, String> properties) {
        Settings s = new Settings(properties);
        EmbeddedMetaStoreConfig c = new EmbeddedMetaStoreConfig(
                Path.of(s.requiredString(DIR)),
                s.integer(HISTORY_REVISIONS, 10_000, 1, 10_000_000),
                s.duration(LEASE_CHECK_INTERVAL, Duration.ofMillis(100), Duration.ofMillis(1), Duration.ofSeconds(10)));
        s.rejectUnknown(PREFIX);
        return c;
    }

    /** The store file. */
    public Path file() {
        return dir.resolve(FILE_NAME);
    }
}
