package io.tidelog.objectstore.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.objectstore.ObjectInfo;
import io.tidelog.objectstore.ObjectStore;
import io.tidelog.objectstore.ObjectStoreConformanceTest;
import io.tidelog.objectstore.ObjectStores;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectoryObjectStoreTest extends ObjectStoreConformanceTest {
    @TempDir
    Path dir;

    private int stores;

    @Override
    protected ObjectStore newStore() {
        return ObjectStores.open("file:" + dir.resolve("store-" + stores++), Map.of());
    }

    @Override
    protected ObjectStore reopen(ObjectStore store) {
        return ObjectStores.open("file:" + ((DirectoryObjectStore) store).root(), Map.of());
    }

    private DirectoryObjectStore storeAt(Path root) {
        return closeLater(new DirectoryObjectStore(new DirectoryObjectStoreConfig(root)));
    }

    @Test
    void twoInstancesOnOneDirectoryRaceCreateIfAbsentWithOneWinnerPerKey() throws Exception {
        Path root = dir.resolve("shared");
        raceCreateIfAbsent(List.of(storeAt(root), storeAt(root)), 8);
    }

    @Test
    void leftoverStagingFilesAreNeverListedAndStaleOnesAreRemovedOnOpen() throws IOException {
        Path root = dir.resolve("leftovers");
        DirectoryObjectStore store = storeAt(root);
        store.put("a/b/object", new byte[] {1, 2, 3});
        long pid = ProcessHandle.current().pid();
        Path deadOwner = Files.write(root.resolve("a/b/" + StagingFiles.PREFIX + Integer.MAX_VALUE + "-5-abc"),
                new byte[10]);
        Path reusedPid = Files.write(root.resolve("a/" + StagingFiles.PREFIX + pid + "-1-abc"), new byte[10]);
        Path garbled = Files.write(root.resolve(StagingFiles.PREFIX + "garbled"), new byte[10]);
        Path liveOwner = Files.write(root.resolve("a/b/" + StagingFiles.newName()), new byte[10]);

        assertThat(store.list("")).containsExactly(new ObjectInfo("a/b/object", 3));
        assertThat(store.list("a/b/.")).isEmpty();

        storeAt(root);
        assertThat(deadOwner).doesNotExist();
        assertThat(reusedPid).doesNotExist();
        assertThat(garbled).doesNotExist();
        assertThat(liveOwner).as("a write in progress elsewhere is left alone").exists();
        assertThat(root.resolve("a/b/object")).hasBinaryContent(new byte[] {1, 2, 3});
    }

    @Test
    void writesLeaveNoStagingFilesBehind() throws IOException {
        Path root = dir.resolve("clean");
        DirectoryObjectStore store = storeAt(root);
        store.put("x/1", new byte[100]);
        store.put("x/1", new byte[50]);
        assertThat(store.createIfAbsent("x/2", new byte[1])).isTrue();
        assertThat(store.createIfAbsent("x/2", new byte[2])).isFalse();
        try (Stream<Path> files = Files.walk(root)) {
            assertThat(files.filter(Files::isRegularFile).map(p -> root.relativize(p).toString()))
                    .containsExactlyInAnyOrder("x/1", "x/2");
        }
    }

    @Test
    void anObjectCannotTakeTheNameOfADirectoryOfObjectsNorSitBelowAnObject() {
        DirectoryObjectStore store = storeAt(dir.resolve("conflicts"));
        store.put("a/b", new byte[1]);
        assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> store.put("a", new byte[1]));
        assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> store.createIfAbsent("a", new byte[1]));
        assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> store.put("a/b/c", new byte[1]));
        assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> store.createIfAbsent("a/b/c/d", new byte[1]));
        assertThat(store.get("a")).isEmpty();
        assertThat(store.get("a/b/c")).isEmpty();
        assertFailsWith(ErrorCode.NOT_FOUND, () -> store.getRange("a", 0, 1));
        assertFailsWith(ErrorCode.NOT_FOUND, () -> store.getRange("a/b/c", 0, 1));
        assertThat(store.delete("a")).isFalse();
        assertThat(store.delete("a/b/c")).isFalse();
        assertThat(store.list("")).containsExactly(new ObjectInfo("a/b", 1));
    }

    @Test
    void deletesRemoveTheDirectoriesTheyLeaveEmptyAndKeepTheOnesThatHoldObjects() throws IOException {
        Path root = dir.resolve("pruned");
        DirectoryObjectStore store = storeAt(root);
        store.put("wal/p/0/0", new byte[1]);
        store.put("wal/p/0/1", new byte[1]);
        store.put("wal/p/1/0", new byte[1]);
        store.put("wal/p/start", new byte[1]);
        store.delete("wal/p/0/0");
        assertThat(root.resolve("wal/p/0")).as("still holds an object").isDirectory();
        store.delete("wal/p/0/1");
        assertThat(root.resolve("wal/p/0")).doesNotExist();
        assertThat(root.resolve("wal/p/1")).isDirectory();
        store.delete("wal/p/1/0");
        store.delete("wal/p/start");
        assertThat(root).as("the root stays").isDirectory();
        try (Stream<Path> left = Files.list(root)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void writersInADirectoryThatDeletesKeepEmptyingLoseNothing() throws Exception {
        DirectoryObjectStore store = storeAt(dir.resolve("churn"));
        int writers = 4;
        int perWriter = 300;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < perWriter; i++) {
                        // every writer's keys share the directories that the others' deletes leave empty
                        String key = "seg/" + (i % 3) + "/w" + writer + "-" + i;
                        if (i % 2 == 0) {
                            store.put(key, new byte[] {(byte) i});
                        } else {
                            assertThat(store.createIfAbsent(key, new byte[] {(byte) i})).isTrue();
                        }
                        assertThat(store.get(key)).as(key).hasValueSatisfying(b -> assertThat(b).hasSize(1));
                        assertThat(store.delete(key)).as(key).isTrue();
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(2, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(store.list("")).isEmpty();
    }

    @Test
    void anObjectMayTakeTheNameOfADirectoryThatDeletesLeftEmpty() {
        DirectoryObjectStore store = storeAt(dir.resolve("emptied"));
        store.put("a/b", new byte[1]);
        store.put("c/d", new byte[1]);
        assertThat(store.delete("a/b")).isTrue();
        assertThat(store.delete("c/d")).isTrue();
        store.put("a", new byte[2]);
        assertThat(store.createIfAbsent("c", new byte[3])).isTrue();
        assertThat(store.list("")).containsExactly(new ObjectInfo("a", 2), new ObjectInfo("c", 3));
    }

    @Test
    void aFileUriIsAbsoluteOrRelativeToTheWorkingDirectory() {
        Path abs = dir.resolve("by uri");
        try (ObjectStore store = ObjectStores.open("file:" + abs, Map.of())) {
            assertThat(store.describe()).isEqualTo("file:" + abs);
            store.put("k", new byte[1]);
        }
        assertThat(abs.resolve("k")).exists();
        try (ObjectStore store = ObjectStores.open("file://" + abs, Map.of())) {
            assertThat(store.get("k")).isPresent();
        }
        assertThat(DirectoryObjectStoreConfig.from(URI.create("file:data/objects"), Map.of()).root())
                .isEqualTo(Path.of("data/objects").toAbsolutePath());
        assertThat(DirectoryObjectStoreConfig.from(URI.create("file:///abs/x/../y"), Map.of()).root())
                .isEqualTo(Path.of("/abs/y"));
    }

    @Test
    void aFileUriWithAHostOrAnUnknownSettingIsRejected() {
        assertThatThrownBy(() -> ObjectStores.open("file://elsewhere/x", Map.of()))
                .isInstanceOfSatisfying(StreamingException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        assertThatThrownBy(() -> ObjectStores.open("file:" + dir, Map.of("objectstore.file.fsnyc", "false")))
                .isInstanceOfSatisfying(StreamingException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining("objectstore.file.fsnyc");
        assertThatThrownBy(() -> ObjectStores.open("ftp://host/x", Map.of()))
                .hasMessageContaining("known schemes: [file]");
    }
}
