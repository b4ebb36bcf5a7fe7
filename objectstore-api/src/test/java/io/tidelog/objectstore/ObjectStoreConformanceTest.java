package io.tidelog.objectstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.testing.Seeds;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The contract every object store must meet (see {@link ObjectStore}). A store runs it by extending
 * this class and implementing the two hooks: a few lines.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class ObjectStoreConformanceTest {
    protected static final Duration WAIT = Duration.ofSeconds(60);

    @RegisterExtension
    protected final Seeds seeds = new Seeds();

    /** Scratch space of the test itself (source files for {@code put(key, file)}). */
    @TempDir
    protected Path scratch;

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final List<ExecutorService> executors = new ArrayList<>();

    /** A store over a fresh, empty root of its own (a new directory, a new bucket or prefix). */
    protected abstract ObjectStore newStore();

    /** A new instance over the same root as {@code store}, which may be open or closed. */
    protected abstract ObjectStore reopen(ObjectStore store);

    @AfterEach
    void closeEverything() {
        executors.forEach(ExecutorService::shutdownNow);
        for (int i = toClose.size() - 1; i >= 0; i--) {
            try {
                toClose.get(i).close();
            } catch (Exception ignored) {
                // closing is best effort here: the test's own assertions decide its outcome
            }
        }
    }

    protected ObjectStore store() {
        return closeLater(newStore());
    }

    protected ObjectStore reopened(ObjectStore store) {
        return closeLater(reopen(store));
    }

    protected <T extends AutoCloseable> T closeLater(T c) {
        toClose.add(c);
        return c;
    }

    protected ExecutorService pool(int threads) {
        ExecutorService e = Executors.newFixedThreadPool(threads);
        executors.add(e);
        return e;
    }

    protected static byte[] randomBytes(Random random, int size) {
        byte[] b = new byte[size];
        random.nextBytes(b);
        return b;
    }

    protected static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    protected static void assertFailsWith(ErrorCode code, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(StreamingException.class,
                e -> assertThat(e.code()).as("code of %s", e.getMessage()).isEqualTo(code));
    }

    protected static <T> List<T> runAll(ExecutorService pool, List<Callable<T>> jobs) throws Exception {
        List<Future<T>> futures = new ArrayList<>();
        for (Callable<T> j : jobs) {
            futures.add(pool.submit(j));
        }
        List<T> results = new ArrayList<>();
        for (Future<T> f : futures) {
            results.add(f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS));
        }
        return results;
    }

    // ---------------------------------------------------------------- put and get

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {0, 1, 1000, (5 << 20) + 3})
    void putThenGetReturnsTheSameBytes(int size) {
        ObjectStore store = store();
        byte[] data = randomBytes(seeds.random(), size);
        store.put("round/trip", data);
        assertThat(store.get("round/trip")).hasValueSatisfying(got -> assertThat(got).isEqualTo(data));
        assertThat(store.list("round/")).containsExactly(new ObjectInfo("round/trip", size));
    }

    @Test
    void putOverAnExistingObjectReplacesItWhole() {
        ObjectStore store = store();
        Random random = seeds.random();
        byte[] big = randomBytes(random, 300_000);
        byte[] small = randomBytes(random, 10);
        store.put("k", big);
        store.put("k", small);
        assertThat(store.get("k")).hasValueSatisfying(got -> assertThat(got).isEqualTo(small));
        store.put("k", big);
        assertThat(store.get("k")).hasValueSatisfying(got -> assertThat(got).isEqualTo(big));
        assertThat(store.list("")).containsExactly(new ObjectInfo("k", big.length));
    }

    @Test
    void putOfAFileStoresTheFilesBytes() throws IOException {
        ObjectStore store = store();
        byte[] data = randomBytes(seeds.random(), (2 << 20) + 77);
        Path file = Files.write(scratch.resolve("source.bin"), data);
        Path empty = Files.write(scratch.resolve("empty.bin"), new byte[0]);
        store.put("from/file", file);
        store.put("from/empty", empty);
        assertThat(store.get("from/file")).hasValueSatisfying(got -> assertThat(got).isEqualTo(data));
        assertThat(store.get("from/empty")).hasValueSatisfying(got -> assertThat(got).isEmpty());
        assertThat(file).exists();
    }

    @Test
    void putOfAMissingFileOrADirectoryFailsWithInvalidArgument() {
        ObjectStore store = store();
        assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> store.put("k", scratch.resolve("no-such-file")));
        assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> store.put("k", scratch));
        assertThat(store.get("k")).isEmpty();
    }

    @Test
    void getOfAMissingKeyIsEmpty() {
        ObjectStore store = store();
        assertThat(store.get("never/written")).isEmpty();
        store.put("never/written-but-similar", utf8("x"));
        assertThat(store.get("never/written")).isEmpty();
        assertThat(store.get("never")).isEmpty();
    }

    @Test
    void theStoreKeepsItsOwnCopyOfTheBytes() {
        ObjectStore store = store();
        byte[] data = utf8("original");
        store.put("copy", data);
        Arrays.fill(data, (byte) 'x');
        assertThat(store.get("copy")).hasValueSatisfying(got -> assertThat(got).isEqualTo(utf8("original")));
        store.get("copy").orElseThrow()[0] = 'X';
        assertThat(store.get("copy")).hasValueSatisfying(got -> assertThat(got).isEqualTo(utf8("original")));
    }

    // ---------------------------------------------------------------- ranges

    @Test
    void getRangeReturnsTheBytesThatExistInTheRange() {
        ObjectStore store = store();
        byte[] data = randomBytes(seeds.random(), 10_000);
        store.put("ranged", data);
        assertThat(store.getRange("ranged", 1234, 100)).isEqualTo(Arrays.copyOfRange(data, 1234, 1334));
        assertThat(store.getRange("ranged", 0, 1)).isEqualTo(Arrays.copyOfRange(data, 0, 1));
        assertThat(store.getRange("ranged", 9_000, 1_000)).as("to the end")
                .isEqualTo(Arrays.copyOfRange(data, 9_000, 10_000));
        assertThat(store.getRange("ranged", 9_990, 1_000)).as("past the end")
                .isEqualTo(Arrays.copyOfRange(data, 9_990, 10_000));
        assertThat(store.getRange("ranged", 0, Integer.MAX_VALUE)).as("all of it").isEqualTo(data);
        assertThat(store.getRange("ranged", 10_000, 10)).as("at the end").isEmpty();
        assertThat(store.getRange("ranged", 50_000, 10)).as("beyond the end").isEmpty();
        assertThat(store.getRange("ranged", Long.MAX_VALUE - 5, 10)).as("far beyond the end").isEmpty();
        assertThat(store.getRange("ranged", 500, 0)).as("nothing asked").isEmpty();
    }

    @Test
    void getRangeOfAnEmptyObjectIsEmpty() {
        ObjectStore store = store();
        store.put("empty", new byte[0]);
        assertThat(store.getRange("empty", 0, 10)).isEmpty();
        assertThat(store.getRange("empty", 0, 0)).isEmpty();
    }

    @Test
    void getRangeOfAMissingKeyFailsWithNotFound() {
        ObjectStore store = store();
        assertFailsWith(ErrorCode.NOT_FOUND, () -> store.getRange("missing", 0, 10));
        assertFailsWith(ErrorCode.NOT_FOUND, () -> store.getRange("missing", 0, 0));
        assertFailsWith(ErrorCode.NOT_FOUND, () -> store.getRange("missing", 100, 10));
    }

    @Test
    void getRangeWithANegativeOffsetOrLengthFailsWithInvalidArgument() {
        ObjectStore store = store();
        store.put("k", utf8("abc"));
        assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> store.getRange("k", -1, 1));
        assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> store.getRange("k", 0, -1));
    }

    // ---------------------------------------------------------------- list

    @Test
    void listReturnsExactlyTheKeysStartingWithThePrefixSortedWithTheirSizes() {
        ObjectStore store = store();
        List<String> keys = new ArrayList<>(List.of("seg/a", "seg/b/c", "seg/b/d/e", "seg-2/x", "segment",
                "se", "other/seg/z", "sef/1"));
        Collections.shuffle(keys, seeds.random());
        for (String k : keys) {
            store.put(k, utf8(k + "!"));
        }
        assertThat(store.list("seg/")).containsExactly(info("seg/a"), info("seg/b/c"), info("seg/b/d/e"));
        assertThat(store.list("seg")).containsExactly(
                info("seg-2/x"), info("seg/a"), info("seg/b/c"), info("seg/b/d/e"), info("segment"));
        assertThat(store.list("seg/b/d/e")).as("a whole key").containsExactly(info("seg/b/d/e"));
        assertThat(store.list("seg/b/")).containsExactly(info("seg/b/c"), info("seg/b/d/e"));
        assertThat(store.list("seg/b/d/ex")).isEmpty();
        assertThat(store.list("nothing/")).isEmpty();
        assertThat(store.list("")).extracting(ObjectInfo::key).containsExactly(
                "other/seg/z", "se", "sef/1", "seg-2/x", "seg/a", "seg/b/c", "seg/b/d/e", "segment");
    }

    private static ObjectInfo info(String key) {
        return new ObjectInfo(key, utf8(key + "!").length);
    }

    @Test
    void listPagesThroughMoreThanAThousandObjects() throws Exception {
        ObjectStore store = store();
        int count = 1100;
        List<Callable<Void>> jobs = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int first = t;
            jobs.add(() -> {
                for (int i = first; i < count; i += 8) {
                    store.put(String.format("many/%05d", i), new byte[i % 7]);
                }
                return null;
            });
        }
        runAll(pool(8), jobs);
        store.put("manx", new byte[1]);
        store.put("man", new byte[1]);

        List<ObjectInfo> listed = store.list("many/");
        assertThat(listed).hasSize(count);
        for (int i = 0; i < count; i++) {
            assertThat(listed.get(i)).isEqualTo(new ObjectInfo(String.format("many/%05d", i), i % 7));
        }
        assertThat(store.list("man")).hasSize(count + 2);
    }

    @Test
    void listWithAnInvalidPrefixFailsWithInvalidArgument() {
        ObjectStore store = store();
        for (String prefix : new String[] {"/a", "a//", "a/../b", "./", "a\u0000"}) {
            assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> store.list(prefix));
        }
        assertThat(store.list("a/..")).as("a prefix of a/..b").isEmpty();
    }

    // ---------------------------------------------------------------- delete

    @Test
    void deleteIsIdempotentAndSaysWhetherSomethingWasDeleted() {
        ObjectStore store = store();
        store.put("d/k", utf8("v"));
        store.put("d/keep", utf8("v"));
        assertThat(store.delete("d/k")).isTrue();
        assertThat(store.get("d/k")).isEmpty();
        assertThat(store.delete("d/k")).isFalse();
        assertThat(store.delete("d/never")).isFalse();
        assertThat(store.delete("d")).isFalse();
        assertThat(store.list("d/")).extracting(ObjectInfo::key).containsExactly("d/keep");
        store.put("d/k", utf8("again"));
        assertThat(store.get("d/k")).hasValueSatisfying(got -> assertThat(got).isEqualTo(utf8("again")));
    }

    // ---------------------------------------------------------------- conditional create

    @Test
    void createIfAbsentCreatesOnceAndNeverOverwrites() {
        ObjectStore store = store();
        assertThat(store.createIfAbsent("fence/1", utf8("first"))).isTrue();
        assertThat(store.createIfAbsent("fence/1", utf8("second"))).isFalse();
        assertThat(store.get("fence/1")).hasValueSatisfying(got -> assertThat(got).isEqualTo(utf8("first")));

        store.put("fence/2", utf8("put"));
        assertThat(store.createIfAbsent("fence/2", utf8("create"))).isFalse();
        assertThat(store.get("fence/2")).hasValueSatisfying(got -> assertThat(got).isEqualTo(utf8("put")));

        assertThat(store.delete("fence/1")).isTrue();
        assertThat(store.createIfAbsent("fence/1", utf8("third"))).isTrue();
        assertThat(store.get("fence/1")).hasValueSatisfying(got -> assertThat(got).isEqualTo(utf8("third")));
        assertThat(store.createIfAbsent("fence/empty", new byte[0])).isTrue();
        assertThat(store.get("fence/empty")).hasValueSatisfying(got -> assertThat(got).isEmpty());
    }

    @Test
    void concurrentCreateIfAbsentHasExactlyOneWinnerPerKeyAndStoresTheWinnersBytes() throws Exception {
        raceCreateIfAbsent(List.of(store()), 8);
    }

    /**
     * For each of 50 keys, {@code threads} threads (spread over {@code stores}, which share one root)
     * race {@code createIfAbsent} with distinct contents, released together by a barrier per key.
     * Exactly one must win each key, and the key must hold the winner's bytes.
     */
    protected void raceCreateIfAbsent(List<ObjectStore> stores, int threads) throws Exception {
        int keys = 50;
        Random random = seeds.random();
        byte[][][] contents = new byte[keys][threads][];
        for (int k = 0; k < keys; k++) {
            for (int t = 0; t < threads; t++) {
                contents[k][t] = utf8("key " + k + " thread " + t + " "
                        + Long.toHexString(random.nextLong()) + "x".repeat(random.nextInt(2000)));
            }
        }
        CyclicBarrier barrier = new CyclicBarrier(threads);
        List<Callable<boolean[]>> jobs = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            ObjectStore store = stores.get(t % stores.size());
            jobs.add(() -> {
                boolean[] won = new boolean[keys];
                for (int k = 0; k < keys; k++) {
                    barrier.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                    won[k] = store.createIfAbsent("race/" + k, contents[k][thread]);
                }
                return won;
            });
        }
        List<boolean[]> results = runAll(pool(threads), jobs);
        for (int k = 0; k < keys; k++) {
            List<Integer> winners = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                if (results.get(t)[k]) {
                    winners.add(t);
                }
            }
            assertThat(winners).as("winners of key %d", k).hasSize(1);
            byte[] expected = contents[k][winners.get(0)];
            assertThat(stores.get(0).get("race/" + k))
                    .hasValueSatisfying(got -> assertThat(got).isEqualTo(expected));
        }
        assertThat(stores.get(0).list("race/")).hasSize(keys);
    }

    // ---------------------------------------------------------------- keys

    @Test
    void invalidKeysAreRejectedWithInvalidArgumentByEveryOperation() throws IOException {
        ObjectStore store = store();
        Path file = Files.write(scratch.resolve("f"), utf8("f"));
        List<String> invalid = List.of("", "/a", "a/", "a//b", ".", "..", "./a", "a/./b", "a/..", "../a",
                "a\u0000b", "a\nb", "a\u007fb", "a/\ud800", ".tidelog-tmp-1", "x/.tidelog-y/z",
                "k".repeat(ObjectKeys.MAX_SEGMENT_BYTES + 1),
                ("k".repeat(200) + "/").repeat(6) + "k");
        for (String key : invalid) {
            assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> store.put(key, utf8("v")));
            assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> store.put(key, file));
            assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> store.createIfAbsent(key, utf8("v")));
            assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> store.get(key));
            assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> store.getRange(key, 0, 1));
            assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> store.delete(key));
        }
        assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> store.get(null));
        assertThat(store.list("")).isEmpty();
    }

    @Test
    void unusualButValidKeysRoundTrip() {
        ObjectStore store = store();
        List<String> keys = List.of("a/..b/c.", "sp ace/x y", "ü/日本/😀", "a:b*c?d", "a+b=c&d", "...",
                ".hidden/.x", "%2F/%00", "k".repeat(ObjectKeys.MAX_SEGMENT_BYTES));
        for (String key : keys) {
            store.put(key, utf8("value of " + key));
        }
        for (String key : keys) {
            assertThat(store.get(key)).as(key)
                    .hasValueSatisfying(got -> assertThat(got).isEqualTo(utf8("value of " + key)));
        }
        List<String> sorted = new ArrayList<>(keys);
        Collections.sort(sorted);
        assertThat(store.list("")).extracting(ObjectInfo::key).containsExactlyElementsOf(sorted);
    }

    // ---------------------------------------------------------------- atomicity and durability

    @Test
    void aReaderConcurrentWithOverwritesSeesOnlyWholeValues() throws Exception {
        ObjectStore store = store();
        Random random = seeds.random();
        List<byte[]> values = new ArrayList<>();
        for (int v = 0; v < 4; v++) {
            values.add(randomBytes(random, 100_000 + 70_000 * v));
        }
        store.put("hot", values.get(0));
        AtomicBoolean writing = new AtomicBoolean(true);
        ExecutorService pool = pool(3);
        Future<Integer> writer = pool.submit(() -> {
            try {
                for (int i = 1; i <= 40; i++) {
                    store.put("hot", values.get(i % values.size()));
                }
                return 40;
            } finally {
                writing.set(false);
            }
        });
        List<Future<Integer>> readers = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            readers.add(pool.submit(() -> {
                int reads = 0;
                do {
                    byte[] got = store.get("hot").orElseThrow();
                    reads++;
                    assertThat(values.stream().anyMatch(v -> Arrays.equals(v, got)))
                            .as("read %d (%d bytes) is one whole written value", reads, got.length).isTrue();
                } while (writing.get());
                return reads;
            }));
        }
        assertThat(writer.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(40);
        for (Future<Integer> r : readers) {
            assertThat(r.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isPositive();
        }
        assertThat(store.get("hot")).hasValueSatisfying(got -> assertThat(got).isEqualTo(values.get(0)));
    }

    @Test
    void anotherInstanceOverTheSameRootSeesEveryWriteAtOnceAndAfterClose() {
        ObjectStore store = store();
        Random random = seeds.random();
        byte[] a = randomBytes(random, 5000);
        byte[] b = randomBytes(random, 1);
        store.put("keep/a", a);
        assertThat(store.createIfAbsent("keep/b", b)).isTrue();
        store.put("gone", a);
        assertThat(store.delete("gone")).isTrue();

        ObjectStore other = reopened(store);
        assertThat(other.get("keep/a")).hasValueSatisfying(got -> assertThat(got).isEqualTo(a));
        other.put("keep/c", b);
        assertThat(store.get("keep/c")).hasValueSatisfying(got -> assertThat(got).isEqualTo(b));
        store.close();
        other.close();

        ObjectStore again = reopened(store);
        assertThat(again.list("")).containsExactly(
                new ObjectInfo("keep/a", a.length), new ObjectInfo("keep/b", 1), new ObjectInfo("keep/c", 1));
        assertThat(again.get("keep/b")).hasValueSatisfying(got -> assertThat(got).isEqualTo(b));
        assertThat(again.get("gone")).isEmpty();
        assertThat(again.createIfAbsent("keep/b", a)).isFalse();
    }

    // ---------------------------------------------------------------- lifetime

    @Test
    void everyOperationAfterCloseFailsWithOnShutdown() {
        ObjectStore store = store();
        store.put("k", utf8("v"));
        assertThat(store.describe()).isNotBlank();
        store.close();
        store.close();
        assertFailsWith(ErrorCode.ON_SHUTDOWN, () -> store.put("k", utf8("v")));
        assertFailsWith(ErrorCode.ON_SHUTDOWN, () -> store.put("k", scratch));
        assertFailsWith(ErrorCode.ON_SHUTDOWN, () -> store.createIfAbsent("k2", utf8("v")));
        assertFailsWith(ErrorCode.ON_SHUTDOWN, () -> store.get("k"));
        assertFailsWith(ErrorCode.ON_SHUTDOWN, () -> store.getRange("k", 0, 1));
        assertFailsWith(ErrorCode.ON_SHUTDOWN, () -> store.list(""));
        assertFailsWith(ErrorCode.ON_SHUTDOWN, () -> store.delete("k"));
        Optional<byte[]> stillThere = reopened(store).get("k");
        assertThat(stillThere).hasValueSatisfying(got -> assertThat(got).isEqualTo(utf8("v")));
    }
}
