package io.tidelog.coord;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.meta.KeyValue;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.MetaStores;
import io.tidelog.meta.testing.ManualClock;
import io.tidelog.objectstore.InterceptedObjectStore;
import io.tidelog.objectstore.ObjectInfo;
import io.tidelog.objectstore.ObjectStore;
import io.tidelog.objectstore.ObjectStores;
import io.tidelog.proto.CollectionInfo;
import io.tidelog.state.proto.DroppedCollectionMeta;
import io.tidelog.testing.Await;
import io.tidelog.tso.TsoConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The garbage collector of dropped collections over a real meta store and a real directory object store, with
 * the catalog dropping collections and a manual clock: what is removed, when, in which order, across a crash.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DroppedCollectionCollectorTest {
    static final Duration RETENTION = Duration.ofHours(24);
    /** The flusher's layout (the parquet module's SegmentKeys): one prefix per collection, manifests are JSON. */
    static final CollectionObjectLayout LAYOUT = new CollectionObjectLayout() {
        @Override
        public String collectionPrefix(long collectionId) {
            return "collections/" + collectionId + "/";
        }

        @Override
        public boolean isManifest(String key) {
            return key.endsWith(".json");
        }
    };

    @TempDir
    Path dir;
    final ManualClock clock = new ManualClock();
    MetaStore meta;
    ObjectStore objects;
    StreamingCoordinator coordinator;
    CollectionCatalog catalog;

    @BeforeEach
    void open() {
        meta = MetaStores.create("embedded", Map.of("meta.embedded.dir", dir.resolve("meta").toString()));
        objects = ObjectStores.open("file:" + dir.resolve("objects"), Map.of());
        coordinator = new StreamingCoordinator(meta, CoordConfig.from(Map.of("coord.pchannel.count", "4",
                "coord.pchannel.prefix", "p")), TsoConfig.from(Map.of()), clock);
        catalog = new CollectionCatalog(meta, coordinator.pchannels(), CatalogConfig.defaults(), coordinator.tso(), clock);
        catalog.start(new FakeVchannels());
    }

    @AfterEach
    void close() {
        catalog.close();
        coordinator.close();
        objects.close();
        meta.close();
    }

    DroppedCollectionCollector collector(ObjectStore store) {
        return new DroppedCollectionCollector(meta, store, LAYOUT, GcConfig.from(Map.of(GcConfig.DROPPED_RETENTION,
                RETENTION.toSeconds() + "s")), clock);
    }

    long create(String name) throws Exception {
        return catalog.createCollection(name, CollectionCatalogTest.BOOKS, 2).get(30, TimeUnit.SECONDS).getCollectionId();
    }

    void drop(String name) throws Exception {
        catalog.dropCollection(name).get(30, TimeUnit.SECONDS);
    }

    /** What the flusher writes for a collection: segments and delete logs, each a data file and its manifest. */
    List<String> writeFiles(long collectionId, int segments) {
        List<String> keys = new ArrayList<>();
        String prefix = LAYOUT.collectionPrefix(collectionId);
        for (int s = 1; s <= segments; s++) {
            keys.add(prefix + "segments/" + (1000 + s) + "/data.parquet");
            keys.add(prefix + "segments/" + (1000 + s) + "/manifest.json");
        }
        keys.add(prefix + "deletes/p-0_" + collectionId + "v0/00000000000000000001-00000000000000000009.parquet");
        keys.add(prefix + "deletes/p-0_" + collectionId + "v0/00000000000000000001-00000000000000000009.json");
        keys.forEach(k -> objects.put(k, k.getBytes(StandardCharsets.UTF_8)));
        return keys;
    }

    List<String> stored() {
        return objects.list("").stream().map(ObjectInfo::key).toList();
    }

    Optional<DroppedCollectionMeta> record(long collectionId) throws Exception {
        Optional<KeyValue> kv = meta.get(DroppedCollectionCollector.droppedKey(collectionId));
        return kv.isEmpty() ? Optional.empty() : Optional.of(DroppedCollectionMeta.parseFrom(kv.get().value()));
    }

    @Test
    void aDropRecordsTheCollectionWithTheTimeOfTheDrop() throws Exception {
        long id = create("books");
        CollectionInfo info = catalog.describe("books");
        clock.advance(Duration.ofMinutes(5));
        drop("books");
        assertThat(record(id)).hasValueSatisfying(d -> {
            assertThat(d.getName()).isEqualTo("books");
            assertThat(d.getVchannelsList()).isEqualTo(info.getVchannelsList());
            assertThat(d.getDroppedMillis()).isEqualTo(clock.millis());
            assertThat(d.getCollectedMillis()).isZero();
        });
        assertThat(catalog.list()).isEmpty();
    }

    @Test
    void nothingIsRemovedBeforeTheRetentionAndAfterItExactlyTheDroppedCollectionsObjects() throws Exception {
        long books = create("books");
        long films = create("films");
        long songs = create("songs");
        List<String> booksFiles = writeFiles(books, 3);
        writeFiles(films, 2);
        writeFiles(songs, 1);
        objects.put("elsewhere/x", new byte[] {1});
        drop("books");
        clock.advance(Duration.ofHours(1));
        drop("songs");
        List<String> before = stored();
        DroppedCollectionCollector gc = collector(objects);

        assertThat(gc.collect().objectsRemoved()).isZero();
        clock.advance(RETENTION.minusHours(1).minusMillis(1));
        assertThat(gc.collect().collected()).isEmpty();
        assertThat(stored()).isEqualTo(before);

        clock.advance(Duration.ofMillis(1));
        DroppedCollectionCollector.Round round = gc.collect();
        assertThat(round.collected()).containsExactly(books);
        assertThat(round.objectsRemoved()).isEqualTo(booksFiles.size());
        List<String> expected = new ArrayList<>(before);
        expected.removeAll(booksFiles);
        assertThat(stored()).isEqualTo(expected).noneMatch(k -> k.startsWith("collections/" + books + "/"));
        assertThat(record(books)).hasValueSatisfying(d -> assertThat(d.getCollectedMillis()).isEqualTo(clock.millis()));

        clock.advance(Duration.ofHours(1));
        round = gc.collect();
        assertThat(round.collected()).containsExactly(songs);
        assertThat(stored()).containsExactlyElementsOf(expected.stream()
                .filter(k -> !k.startsWith("collections/" + songs + "/")).toList())
                .anyMatch(k -> k.startsWith("collections/" + films + "/")).contains("elsewhere/x");
        assertThat(gc.collect()).isEqualTo(new DroppedCollectionCollector.Round(List.of(), List.of(), 0));
    }

    /**
     * A file uploaded after the sweep (object storage was unreachable for longer than the retention) is left
     * alone until a last sweep one retention later, which removes it; then the record is forgotten.
     */
    @Test
    void aLateFileIsRemovedByTheLastSweepAfterWhichTheRecordIsForgotten() throws Exception {
        long books = create("books");
        writeFiles(books, 2);
        drop("books");
        clock.advance(RETENTION);
        DroppedCollectionCollector gc = collector(objects);
        assertThat(gc.collect().collected()).containsExactly(books);

        String late = LAYOUT.collectionPrefix(books) + "segments/2001/data.parquet";
        objects.put(late, new byte[] {1});
        objects.put(LAYOUT.collectionPrefix(books) + "segments/2001/manifest.json", new byte[] {2});
        clock.advance(RETENTION.minusMillis(1));
        assertThat(gc.collect().objectsRemoved()).as("a collected collection is not swept again at once").isZero();
        assertThat(stored()).contains(late);

        clock.advance(Duration.ofMillis(1));
        DroppedCollectionCollector.Round round = gc.collect();
        assertThat(round.forgotten()).containsExactly(books);
        assertThat(round.objectsRemoved()).isEqualTo(2);
        assertThat(stored()).isEmpty();
        assertThat(record(books)).isEmpty();
        assertThat(meta.scan(DroppedCollectionCollector.DROPPED_KEYS)).isEmpty();
    }

    /**
     * The collector dies after each possible number of deletes: what it leaves never has a manifest without the
     * files it names (manifests go first), the record still says "not collected", and a new collector completes
     * the job.
     */
    @Test
    void aCollectorThatDiesMidwayLeavesNoManifestWithoutItsFilesAndTheNextOneCompletesTheJob() throws Exception {
        long films = create("films");
        List<String> filmsFiles = writeFiles(films, 1);
        int objectsPerCollection = 2 * 3 + 2; // writeFiles(id, 3)
        for (int crashAfter = 0; crashAfter < objectsPerCollection; crashAfter++) {
            String name = "books" + crashAfter;
            long id = create(name);
            List<String> files = writeFiles(id, 3);
            drop(name);
            clock.advance(RETENTION);

            DroppedCollectionCollector.Round failed = collector(new DyingObjectStore(objects, crashAfter)).collect();
            assertThat(failed.collected()).isEmpty();
            List<String> left = objects.list(LAYOUT.collectionPrefix(id)).stream().map(ObjectInfo::key).toList();
            assertThat(left).as("after %d deletes", crashAfter).hasSize(files.size() - crashAfter);
            List<String> data = files.stream().filter(k -> !LAYOUT.isManifest(k)).toList();
            if (left.stream().anyMatch(LAYOUT::isManifest)) {
                assertThat(left).as("a manifest is left, so is every data file").containsAll(data);
            }
            assertThat(record(id)).hasValueSatisfying(d -> assertThat(d.getCollectedMillis()).isZero());

            assertThat(collector(objects).collect().collected()).containsExactly(id);
            assertThat(objects.list(LAYOUT.collectionPrefix(id))).isEmpty();
        }
        assertThat(stored()).containsExactlyInAnyOrderElementsOf(filmsFiles);
    }

    @Test
    void theCollectorRunsByItselfEveryInterval() throws Exception {
        long books = create("books");
        writeFiles(books, 1);
        drop("books");
        clock.advance(RETENTION);
        try (DroppedCollectionCollector gc = new DroppedCollectionCollector(meta, objects, LAYOUT,
                GcConfig.from(Map.of(GcConfig.INTERVAL, "20ms")), clock)) {
            gc.start();
            Await.until("the files are removed", () -> stored().isEmpty());
        }
    }

    @Test
    void theConfigurationHasItsDefaultsAndRefusesUnknownKeysAndNegativeRetention() {
        assertThat(GcConfig.defaults()).isEqualTo(new GcConfig(Duration.ofHours(24), Duration.ofMinutes(10)));
        assertThat(GcConfig.from(Map.of("gc.dropped.retention", "1s", "gc.interval", "100ms")))
                .isEqualTo(new GcConfig(Duration.ofSeconds(1), Duration.ofMillis(100)));
        for (Map<String, String> bad : List.of(Map.of("gc.retention", "1h"), Map.of("gc.dropped.retention", "-1s"),
                Map.of("gc.interval", "0s"))) {
            try {
                GcConfig.from(bad);
                throw new AssertionError("accepted " + bad);
            } catch (StreamingException e) {
                assertThat(e.code()).as("%s", bad).isEqualTo(ErrorCode.INVALID_ARGUMENT);
            }
        }
    }

    /** A real store whose process dies (every call fails) after a number of deletes. */
    static final class DyingObjectStore extends InterceptedObjectStore {
        private final AtomicInteger deletesLeft;

        DyingObjectStore(ObjectStore store, int deletes) {
            super(store);
            this.deletesLeft = new AtomicInteger(deletes);
        }

        @Override
        protected void before(String operation) {
            if ((operation.equals("delete") ? deletesLeft.decrementAndGet() : deletesLeft.get()) < 0) {
                throw new StreamingException(ErrorCode.INNER, "the collector died (test)");
            }
        }

        @Override
        public void close() {
            // the test's store outlives the dead collector
        }
    }
}
