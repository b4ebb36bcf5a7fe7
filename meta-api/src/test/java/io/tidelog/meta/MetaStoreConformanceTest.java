package io.tidelog.meta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.testing.Await;
import io.tidelog.meta.testing.ManualClock;
import io.tidelog.meta.testing.RecordingListener;
import io.tidelog.testing.Seeds;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The contract every meta store must meet (see {@link MetaStore}). A store runs it by extending this
 * class and implementing the hooks: a few lines.
 *
 * <p>Leases are judged by {@link #clock}, which only moves when a test calls {@link #advanceClock}, so
 * no test sleeps; a store whose clock cannot be injected (a real etcd) overrides {@link #advanceClock}
 * and {@link #leaseTtl}. To check that an expiry did <em>not</em> happen, tests expire a "canary"
 * lease whose deadline lies after the one under test and wait for the canary's key to go: stores
 * revoke expired leases earliest deadline first.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class MetaStoreConformanceTest {
    protected static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    protected final Seeds seeds = new Seeds();

    /** The clock the stores of this test judge lease deadlines by. */
    protected final ManualClock clock = new ManualClock();

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final List<ExecutorService> executors = new ArrayList<>();

    /** The name the store is registered under. */
    protected abstract String storeName();

    /** A store over this test's storage, judging leases by {@link #clock}; every call within one test sees the same storage. */
    protected abstract MetaStore openStore();

    /**
     * Simulates a crash of the store: no graceful close, nothing more is written. Returns a new store
     * over the same storage. (For a client of a store server such as etcd: a kill and restart of the
     * server, which is what the lease rule after a restart is about.)
     */
    protected abstract MetaStore crashAndReopen(MetaStore store);

    /**
     * Makes the store discard its change history before {@code belowRevision} (at least), writing
     * only keys under {@code compaction-filler/} if it needs writes to get there.
     */
    protected abstract void compactHistory(MetaStore store, long belowRevision);

    /** Moves the stores' clock forward. */
    protected void advanceClock(Duration d) {
        clock.advance(d);
    }

    /** The time to live of the leases these tests grant. */
    protected Duration leaseTtl() {
        return Duration.ofSeconds(10);
    }

    @AfterEach
    void closeEverything() {
        executors.forEach(ExecutorService::shutdownNow);
        for (int i = toClose.size() - 1; i >= 0; i--) {
            try {
                toClose.get(i).close();
            } catch (Exception ignored) {
                // a test that crashed a store leaves closed or abandoned objects behind
            }
        }
    }

    protected MetaStore store() {
        return closeLater(openStore());
    }

    protected <T extends AutoCloseable> T closeLater(T c) {
        toClose.add(c);
        return c;
    }

    protected ExecutorService threads(int n) {
        ExecutorService e = Executors.newFixedThreadPool(n);
        executors.add(e);
        return e;
    }

    protected static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    protected static String text(Optional<KeyValue> kv) {
        return kv.map(KeyValue::valueUtf8).orElse(null);
    }

    protected static void assertCode(ErrorCode code, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(StreamingException.class,
                e -> assertThat(e.code()).as("error code of: %s", e.getMessage()).isEqualTo(code));
    }

    protected static <T> List<T> all(List<Future<T>> futures) throws Exception {
        List<T> out = new ArrayList<>();
        for (Future<T> f : futures) {
            out.add(f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS));
        }
        return out;
    }

    private static boolean holds(MetaStore s, Compare c) {
        return s.txn(List.of(c), List.of(), List.of()).succeeded();
    }

    private static List<String> keys(List<KeyValue> kvs) {
        return kvs.stream().map(KeyValue::key).collect(Collectors.toList());
    }

    /** A lease whose deadline lies between the given ones, with one key: its deletion shows an expiry pass ran. */
    private String canary(MetaStore s, Duration ttl) {
        long lease = s.grantLease(ttl);
        String key = "canary/" + lease;
        s.put(key, bytes("canary"), lease);
        return key;
    }

    // ---------------------------------------------------------------- registry

    @Test
    void storeIsFoundByItsName() {
        assertThat(MetaStores.providers()).containsKey(storeName());
        assertThat(store().name()).isEqualTo(storeName());
    }

    // ---------------------------------------------------------------- keys, values, revisions

    @Test
    void putThenGetReturnsTheValueWithItsRevisionsAndVersion() {
        MetaStore s = store();
        assertThat(s.get("k/a")).isEmpty();
        long r1 = s.put("k/a", bytes("one"));
        assertThat(s.get("k/a")).contains(new KeyValue("k/a", bytes("one"), r1, r1, 1, 0));

        long r2 = s.put("k/a", bytes("two"));
        assertThat(r2).isGreaterThan(r1);
        assertThat(s.get("k/a")).contains(new KeyValue("k/a", bytes("two"), r1, r2, 2, 0));

        assertThat(s.delete("k/a")).isTrue();
        assertThat(s.get("k/a")).isEmpty();
        assertThat(s.currentRevision()).isGreaterThan(r2);

        long r4 = s.put("k/a", new byte[0]);
        assertThat(s.get("k/a")).as("re-created: a new life").contains(new KeyValue("k/a", new byte[0], r4, r4, 1, 0));
        assertThat(s.currentRevision()).isEqualTo(r4);
    }

    @Test
    void revisionsStrictlyIncreaseAndCallsThatChangeNothingCreateNone() {
        MetaStore s = store();
        long start = s.currentRevision();
        long a = s.put("r/x", bytes("1"));
        long b = s.put("r/y", bytes("2"));
        assertThat(a).isGreaterThan(start);
        assertThat(b).isGreaterThan(a);
        assertThat(s.delete("r/y")).isTrue();
        long afterDelete = s.currentRevision();
        assertThat(afterDelete).isGreaterThan(b);

        assertThat(s.delete("r/absent")).isFalse();
        assertThat(s.deletePrefix("nothing/")).isZero();
        TxnResult failed = s.txn(List.of(Compare.present("r/absent")), List.of(Op.put("r/z", bytes("3"))), List.of());
        TxnResult readOnly = s.txn(List.of(), List.of(Op.get("r/x")), List.of());
        assertThat(failed.succeeded()).isFalse();
        assertThat(failed.revision()).isEqualTo(afterDelete);
        assertThat(readOnly.revision()).isEqualTo(afterDelete);
        assertThat(readOnly.gets()).containsExactly(s.get("r/x"));
        assertThat(s.revokeLease(987_654_321L)).isFalse();
        assertThat(s.currentRevision()).as("nothing changed, no revision").isEqualTo(afterDelete);
    }

    @Test
    void concurrentWritersGetDistinctRevisionsIncreasingPerThread() throws Exception {
        MetaStore s = store();
        int threads = 4;
        int perThread = 60;
        ExecutorService pool = threads(threads);
        List<Future<List<Long>>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            futures.add(pool.submit(() -> {
                List<Long> revs = new ArrayList<>();
                for (int i = 0; i < perThread; i++) {
                    revs.add(s.put("c/" + thread + "/" + i, bytes(thread + ":" + i)));
                }
                return revs;
            }));
        }
        Set<Long> distinct = new HashSet<>();
        List<List<Long>> perThreadRevs = all(futures);
        for (int t = 0; t < threads; t++) {
            List<Long> revs = perThreadRevs.get(t);
            for (int i = 0; i < revs.size(); i++) {
                if (i > 0) {
                    assertThat(revs.get(i)).isGreaterThan(revs.get(i - 1));
                }
                assertThat(distinct.add(revs.get(i))).as("revision %d given once", revs.get(i)).isTrue();
                assertThat(s.get("c/" + t + "/" + i).orElseThrow().modRevision()).isEqualTo(revs.get(i));
            }
        }
        assertThat(s.currentRevision()).isEqualTo(Collections.max(distinct));
    }

    @Test
    void valuesAreCopiedInAndOut() {
        MetaStore s = store();
        byte[] value = bytes("original");
        s.put("copy/a", value);
        value[0] = 'X';
        KeyValue kv = s.get("copy/a").orElseThrow();
        kv.value()[0] = 'Y';
        assertThat(s.get("copy/a").orElseThrow().valueUtf8()).isEqualTo("original");
        assertThat(kv.valueUtf8()).isEqualTo("original");
    }

    // ---------------------------------------------------------------- scan

    @Test
    void scanReturnsExactlyThePrefixInUtf8ByteOrder() {
        MetaStore s = store();
        String emoji = "a/\uD83D\uDE00";  // U+1F600: after U+FFFD in UTF-8 order, before it in UTF-16 order
        String replacement = "a/\uFFFD";
        List<String> keys = new ArrayList<>(List.of("a", "a/", "a/x", "a/y/z", "ab", "a0", "b/1", emoji, replacement));
        Collections.shuffle(keys, seeds.random());
        for (String k : keys) {
            s.put(k, bytes("v:" + k));
        }
        assertThat(keys(s.scan("a/"))).containsExactly("a/", "a/x", "a/y/z", replacement, emoji);
        assertThat(keys(s.scan("a"))).containsExactly("a", "a/", "a/x", "a/y/z", replacement, emoji, "a0", "ab");
        assertThat(keys(s.scan(""))).containsExactly("a", "a/", "a/x", "a/y/z", replacement, emoji, "a0", "ab", "b/1");
        assertThat(s.scan("c")).isEmpty();
        assertThat(s.scan("a/x/")).as("a key equal to the prefix minus its slash is not in it").isEmpty();
        assertThat(s.scan("a/y").get(0).valueUtf8()).isEqualTo("v:a/y/z");

        Range limited = s.range("a/", 2);
        assertThat(keys(limited.keyValues())).containsExactly("a/", "a/x");
        assertThat(limited.more()).isTrue();
        assertThat(limited.revision()).isEqualTo(s.currentRevision());
        Range whole = s.range("a/", 5);
        assertThat(whole.keyValues()).hasSize(5);
        assertThat(whole.more()).isFalse();
        assertThat(s.scan("a/", 3)).hasSize(3);
    }

    @Test
    void deletePrefixDeletesExactlyThePrefixInOneRevision() {
        MetaStore s = store();
        for (String k : List.of("p", "p/1", "p/2", "p/3/x", "pq")) {
            s.put(k, bytes(k));
        }
        RecordingListener all = new RecordingListener();
        closeLater(s.watch("", all));
        assertThat(s.deletePrefix("p/")).isEqualTo(3);
        assertThat(keys(s.scan(""))).containsExactly("p", "pq");

        List<WatchEvent> events = all.awaitEvents(3, WAIT);
        assertThat(events).extracting(WatchEvent::key).containsExactly("p/1", "p/2", "p/3/x");
        assertThat(events).allMatch(e -> e.type() == WatchEvent.Type.DELETE && e.revision() == s.currentRevision());
        assertThat(all.calls()).as("one revision is never split").hasSize(1);
    }

    // ---------------------------------------------------------------- bad input

    @Test
    void invalidArgumentsAreRefusedAndChangeNothing() {
        MetaStore s = store();
        long lease = s.grantLease(leaseTtl());
        s.put("ok", bytes("v"));
        long before = s.currentRevision();
        ErrorCode bad = ErrorCode.INVALID_ARGUMENT;
        assertCode(bad, () -> s.get(null));
        assertCode(bad, () -> s.get(""));
        assertCode(bad, () -> s.put("", bytes("v")));
        assertCode(bad, () -> s.put("k", null));
        assertCode(bad, () -> s.put("lone\uD800surrogate", bytes("v")));
        assertCode(bad, () -> s.put("k".repeat(MetaStore.MAX_KEY_BYTES + 1), bytes("v")));
        assertCode(bad, () -> s.put("k", new byte[MetaStore.MAX_REQUEST_BYTES]));
        assertCode(bad, () -> s.put("k", bytes("v"), lease + 1000));
        assertCode(bad, () -> s.put("k", bytes("v"), -1));
        assertCode(bad, () -> s.deletePrefix(""));
        assertCode(bad, () -> s.range("a", -1));
        assertCode(bad, () -> s.range(null, 0));
        assertCode(bad, () -> s.watch("a", 0, new RecordingListener()));
        assertCode(bad, () -> s.grantLease(Duration.ZERO));
        assertCode(bad, () -> s.compareAndDelete("ok", 0));
        List<Op> tooMany = IntStream.range(0, MetaStore.MAX_TXN_OPS + 1)
                .mapToObj(i -> (Op) Op.put("many/" + i, bytes("v"))).collect(Collectors.toList());
        assertCode(bad, () -> s.txn(List.of(), tooMany, List.of()));
        assertCode(bad, () -> s.txn(List.of(), List.of(Op.put("dup", bytes("1")), Op.delete("dup")), List.of()));
        assertCode(bad, () -> s.txn(List.of(), List.of(Op.put("t/a", bytes("1")), Op.put("t/b", bytes("2"), lease + 1000)),
                List.of()));
        assertCode(bad, () -> s.txn(List.of(), List.of(Op.put("big/1", new byte[MetaStore.MAX_REQUEST_BYTES / 2]),
                Op.put("big/2", new byte[MetaStore.MAX_REQUEST_BYTES / 2])), List.of()));
        assertCode(bad, () -> Compare.value("k", Compare.Result.EQUAL, null));

        assertThat(s.currentRevision()).as("nothing was written").isEqualTo(before);
        assertThat(keys(s.scan(""))).containsExactly("ok");
        assertThat(s.put("k".repeat(MetaStore.MAX_KEY_BYTES), bytes("longest key"))).isGreaterThan(before);
    }

    // ---------------------------------------------------------------- transactions

    @Test
    void txnAppliesTheSuccessBranchOnlyWhenEveryCompareHolds() {
        MetaStore s = store();
        long ra = s.put("t/a", bytes("1"));
        List<Compare> guard = List.of(Compare.modRevision("t/a", Compare.Result.EQUAL, ra), Compare.absent("t/b"));
        List<Op> success = List.of(Op.put("t/b", bytes("2")), Op.put("t/a", bytes("3")), Op.get("t/a"), Op.get("t/none"));
        List<Op> failure = List.of(Op.get("t/a"));

        TxnResult first = s.txn(guard, success, failure);
        assertThat(first.succeeded()).isTrue();
        assertThat(first.revision()).isGreaterThan(ra).isEqualTo(s.currentRevision());
        assertThat(first.gets()).containsExactly(
                Optional.of(new KeyValue("t/a", bytes("3"), ra, first.revision(), 2, 0)), Optional.empty());
        assertThat(s.get("t/b").orElseThrow().modRevision()).isEqualTo(first.revision());

        TxnResult second = s.txn(guard, success, failure);
        assertThat(second.succeeded()).isFalse();
        assertThat(second.revision()).isEqualTo(first.revision());
        assertThat(second.gets()).containsExactly(s.get("t/a"));
        assertThat(text(s.get("t/a"))).isEqualTo("3");
    }

    @Test
    void txnFailureBranchWritesAtomicallyToo() {
        MetaStore s = store();
        s.put("f/old", bytes("x"));
        TxnResult r = s.txn(List.of(Compare.present("f/missing")), List.of(Op.put("f/never", bytes("n"))),
                List.of(Op.put("f/new", bytes("y")), Op.delete("f/old")));
        assertThat(r.succeeded()).isFalse();
        assertThat(s.get("f/never")).isEmpty();
        assertThat(s.get("f/old")).isEmpty();
        assertThat(s.get("f/new").orElseThrow().modRevision()).isEqualTo(r.revision()).isEqualTo(s.currentRevision());
    }

    @Test
    void comparisonsFollowEtcdsRules() {
        MetaStore s = store();
        long lease = s.grantLease(leaseTtl());
        long created = s.put("cmp/a", bytes("3"));
        long modified = s.put("cmp/a", bytes("3"), lease);
        Compare.Result eq = Compare.Result.EQUAL;
        assertThat(holds(s, Compare.version("cmp/a", eq, 2))).isTrue();
        assertThat(holds(s, Compare.version("cmp/a", Compare.Result.LESS, 3))).isTrue();
        assertThat(holds(s, Compare.createRevision("cmp/a", eq, created))).isTrue();
        assertThat(holds(s, Compare.modRevision("cmp/a", eq, modified))).isTrue();
        assertThat(holds(s, Compare.modRevision("cmp/a", Compare.Result.GREATER, created))).isTrue();
        assertThat(holds(s, Compare.modRevision("cmp/a", Compare.Result.NOT_EQUAL, modified))).isFalse();
        assertThat(holds(s, Compare.value("cmp/a", eq, bytes("3")))).isTrue();
        assertThat(holds(s, Compare.value("cmp/a", Compare.Result.GREATER, bytes("2")))).isTrue();
        assertThat(holds(s, Compare.value("cmp/a", Compare.Result.LESS, new byte[] {(byte) 0x80}))).as("unsigned bytes").isTrue();
        assertThat(holds(s, Compare.lease("cmp/a", eq, lease))).isTrue();
        assertThat(holds(s, Compare.present("cmp/a"))).isTrue();
        assertThat(holds(s, Compare.absent("cmp/a"))).isFalse();

        assertThat(holds(s, Compare.absent("cmp/none"))).isTrue();
        assertThat(holds(s, Compare.modRevision("cmp/none", eq, 0))).isTrue();
        assertThat(holds(s, Compare.createRevision("cmp/none", eq, 0))).isTrue();
        assertThat(holds(s, Compare.lease("cmp/none", eq, 0))).isTrue();
        assertThat(holds(s, Compare.value("cmp/none", Compare.Result.NOT_EQUAL, bytes("x"))))
                .as("a value comparison on an absent key is false").isFalse();
        assertThat(holds(s, Compare.value("cmp/none", eq, new byte[0]))).isFalse();
        assertThat(s.compareAndPut("cmp/none", 0, bytes("created"))).as("mod revision 0: absent").isTrue();
        assertThat(s.compareAndPut("cmp/none", 0, bytes("again"))).isFalse();
        long mod = s.get("cmp/none").orElseThrow().modRevision();
        assertThat(s.compareAndDelete("cmp/none", mod - 1)).isFalse();
        assertThat(s.compareAndDelete("cmp/none", mod)).isTrue();
    }

    @Test
    void concurrentCompareAndPutOnOneCounterLosesNoUpdate() throws Exception {
        MetaStore s = store();
        s.put("counter", bytes("0"));
        int threads = 4;
        int increments = 25;
        long seed = seeds.seed();
        ExecutorService pool = threads(threads);
        AtomicInteger conflicts = new AtomicInteger();
        List<Future<List<Long>>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Random random = new Random(seed + t);
            futures.add(pool.submit(() -> {
                List<Long> won = new ArrayList<>();
                while (won.size() < increments) {
                    KeyValue kv = s.get("counter").orElseThrow();
                    long next = Long.parseLong(kv.valueUtf8()) + 1;
                    if (random.nextInt(4) == 0) {
                        Thread.yield();
                    }
                    if (s.compareAndPut("counter", kv.modRevision(), bytes(Long.toString(next)))) {
                        won.add(next);
                    } else {
                        conflicts.incrementAndGet();
                    }
                }
                return won;
            }));
        }
        List<Long> values = new ArrayList<>();
        all(futures).forEach(values::addAll);
        KeyValue last = s.get("counter").orElseThrow();
        assertThat(Long.parseLong(last.valueUtf8())).as("no lost update (%d conflicts)", conflicts.get())
                .isEqualTo(threads * increments);
        assertThat(last.version()).isEqualTo(threads * increments + 1);
        assertThat(new HashSet<>(values)).as("every success wrote a distinct value").hasSize(threads * increments);
    }

    @Test
    void racingPutIfAbsentHasExactlyOneWinner() throws Exception {
        MetaStore s = store();
        int threads = 6;
        int rounds = 15;
        ExecutorService pool = threads(threads);
        CyclicBarrier barrier = new CyclicBarrier(threads);
        List<Future<List<Integer>>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            futures.add(pool.submit(() -> {
                List<Integer> won = new ArrayList<>();
                for (int round = 0; round < rounds; round++) {
                    barrier.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                    if (s.putIfAbsent("race/" + round, bytes(Integer.toString(thread)))) {
                        won.add(round);
                    }
                }
                return won;
            }));
        }
        List<List<Integer>> won = all(futures);
        for (int round = 0; round < rounds; round++) {
            int r = round;
            List<Integer> winners = IntStream.range(0, threads).filter(t -> won.get(t).contains(r)).boxed()
                    .collect(Collectors.toList());
            assertThat(winners).as("winners of round %d", round).hasSize(1);
            KeyValue kv = s.get("race/" + round).orElseThrow();
            assertThat(kv.valueUtf8()).isEqualTo(Integer.toString(winners.get(0)));
            assertThat(kv.version()).isEqualTo(1);
        }
    }

    @Test
    void readersNeverSeeHalfOfATransaction() throws Exception {
        MetaStore s = store();
        s.txn(List.of(), List.of(Op.put("acct/a", bytes("50")), Op.put("acct/b", bytes("50"))), List.of());
        AtomicBoolean done = new AtomicBoolean();
        ExecutorService pool = threads(4);
        List<Future<Integer>> futures = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            Random random = new Random(seeds.seed() + w);
            futures.add(pool.submit(() -> {
                int moved = 0;
                while (moved < 40) {
                    List<KeyValue> kvs = s.scan("acct/");
                    long a = Long.parseLong(kvs.get(0).valueUtf8());
                    long b = Long.parseLong(kvs.get(1).valueUtf8());
                    long amount = random.nextInt(10) - 5;
                    TxnResult r = s.txn(List.of(Compare.modRevision("acct/a", Compare.Result.EQUAL, kvs.get(0).modRevision()),
                                    Compare.modRevision("acct/b", Compare.Result.EQUAL, kvs.get(1).modRevision())),
                            List.of(Op.put("acct/a", bytes(Long.toString(a - amount))),
                                    Op.put("acct/b", bytes(Long.toString(b + amount)))), List.of());
                    moved += r.succeeded() ? 1 : 0;
                }
                return moved;
            }));
        }
        List<Future<Integer>> readers = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            readers.add(pool.submit(() -> {
                int reads = 0;
                while (!done.get()) {
                    Range range = s.range("acct/", 0);
                    long sum = range.keyValues().stream().mapToLong(kv -> Long.parseLong(kv.valueUtf8())).sum();
                    assertThat(sum).as("sum at revision %d", range.revision()).isEqualTo(100);
                    assertThat(range.keyValues().get(0).modRevision()).isEqualTo(range.keyValues().get(1).modRevision());
                    reads++;
                }
                return reads;
            }));
        }
        all(futures);
        done.set(true);
        assertThat(all(readers)).allMatch(n -> n > 0);
    }

    // ---------------------------------------------------------------- watch

    /** One write as its writer saw it: what a watcher must receive, at that revision. */
    private record Written(long revision, WatchEvent.Type type, String key, String value) {
    }

    @Test
    void watchDeliversEveryEventOfItsPrefixInRevisionOrderExactlyOnce() throws Exception {
        MetaStore s = store();
        RecordingListener listener = new RecordingListener();
        Watch watch = closeLater(s.watch("w/", listener));
        int threads = 4;
        ExecutorService pool = threads(threads);
        List<Future<List<Written>>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Random random = new Random(seeds.seed() + t);
            int thread = t;
            futures.add(pool.submit(() -> {
                List<Written> written = new ArrayList<>();
                for (int i = 0; i < 40; i++) {
                    String key = (random.nextInt(5) == 0 ? "x/" : "w/") + random.nextInt(8);
                    if (random.nextInt(3) == 0) {
                        TxnResult r = s.txn(List.of(Compare.present(key)), List.of(Op.delete(key)), List.of());
                        if (r.succeeded()) {
                            written.add(new Written(r.revision(), WatchEvent.Type.DELETE, key, ""));
                        }
                    } else {
                        String value = thread + ":" + i;
                        written.add(new Written(s.put(key, bytes(value)), WatchEvent.Type.PUT, key, value));
                    }
                }
                return written;
            }));
        }
        List<Written> expected = new ArrayList<>();
        all(futures).forEach(expected::addAll);
        expected.removeIf(w -> !w.key().startsWith("w/"));
        expected.sort(Comparator.comparingLong(Written::revision));

        List<WatchEvent> got = listener.awaitEvents(expected.size(), WAIT);
        List<Written> received = got.stream().map(e -> new Written(e.revision(), e.type(), e.key(),
                e.keyValue().valueUtf8())).collect(Collectors.toList());
        assertThat(received).isEqualTo(expected);
        assertThat(listener.calledFromManyThreads()).as("one dispatcher thread").isFalse();
        assertThat(listener.error()).isNull();
        assertThat(watch.nextRevision()).isGreaterThan(expected.get(expected.size() - 1).revision());
        for (WatchEvent e : got) {
            if (e.type() == WatchEvent.Type.PUT) {
                assertThat(e.keyValue().modRevision()).isEqualTo(e.revision());
                assertThat(e.keyValue().version()).isPositive();
            }
        }
    }

    @Test
    void watchDeliversATransactionAsOneRevisionInOneCall() {
        MetaStore s = store();
        s.put("tx/c", bytes("old"));
        RecordingListener listener = new RecordingListener();
        closeLater(s.watch("tx/", listener));
        TxnResult r = s.txn(List.of(Compare.present("tx/c")),
                List.of(Op.put("tx/b", bytes("B")), Op.put("tx/a", bytes("A")), Op.put("other/x", bytes("X")),
                        Op.delete("tx/c")), List.of());
        List<WatchEvent> events = listener.awaitEvents(3, WAIT);
        assertThat(events).extracting(WatchEvent::key).containsExactly("tx/b", "tx/a", "tx/c");
        assertThat(events).extracting(WatchEvent::type)
                .containsExactly(WatchEvent.Type.PUT, WatchEvent.Type.PUT, WatchEvent.Type.DELETE);
        assertThat(events).allMatch(e -> e.revision() == r.revision());
        assertThat(events.get(2).keyValue()).isEqualTo(KeyValue.deleted("tx/c", r.revision()));
        assertThat(listener.calls()).hasSize(1);
    }

    @Test
    void watchFromAnOlderRevisionReplaysHistoryAndThenFollows() {
        MetaStore s = store();
        long r1 = s.put("h/1", bytes("a"));
        long r2 = s.put("h/2", bytes("b"));
        s.put("elsewhere", bytes("x"));
        s.delete("h/1");
        s.put("h/3", bytes("c"));

        RecordingListener fromR2 = new RecordingListener();
        closeLater(s.watch("h/", r2, fromR2));
        RecordingListener fromR1 = new RecordingListener();
        closeLater(s.watch("h/", r1, fromR1));
        assertThat(fromR2.awaitEvents(3, WAIT)).extracting(WatchEvent::key).containsExactly("h/2", "h/1", "h/3");
        assertThat(fromR1.awaitEvents(4, WAIT)).extracting(WatchEvent::key).containsExactly("h/1", "h/2", "h/1", "h/3");

        long r6 = s.put("h/4", bytes("d"));
        assertThat(fromR2.awaitEvents(4, WAIT).get(3).revision()).isEqualTo(r6);
        assertThat(fromR1.awaitEvents(5, WAIT)).hasSize(5);
    }

    @Test
    void listingThenWatchingFromTheListsRevisionMissesNothingAndRepeatsNothing() throws Exception {
        MetaStore s = store();
        for (int i = 0; i < 10; i++) {
            s.put("lw/" + i, bytes("0"));
        }
        ExecutorService pool = threads(1);
        Future<Long> writer = pool.submit(() -> {
            long last = 0;
            for (int i = 0; i < 60; i++) {
                last = s.put("lw/" + (i % 10), bytes(Integer.toString(i + 1)));
            }
            return last;
        });
        Range list = s.range("lw/", 0);
        Map<String, KeyValue> view = new ConcurrentHashMap<>();
        list.keyValues().forEach(kv -> view.put(kv.key(), kv));
        RecordingListener listener = new RecordingListener();
        closeLater(s.watch("lw/", list.revision() + 1, listener));
        long last = writer.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        Await.until("the watch caught up with revision " + last, WAIT,
                () -> listener.events().stream().anyMatch(e -> e.revision() == last) || list.revision() >= last);
        for (WatchEvent e : listener.events()) {
            assertThat(e.revision()).isGreaterThan(list.revision());
            assertThat(e.revision()).isGreaterThan(view.get(e.key()).modRevision());
            view.put(e.key(), e.keyValue());
        }
        assertThat(view.values()).containsExactlyInAnyOrderElementsOf(s.scan("lw/"));
    }

    @Test
    void watchFromAFutureRevisionStartsWhenTheStoreGetsThere() {
        MetaStore s = store();
        long now = s.currentRevision();
        RecordingListener listener = new RecordingListener();
        closeLater(s.watch("fut/", now + 3, listener));
        for (int i = 1; i <= 4; i++) {
            s.put("fut/" + i, bytes("v"));
        }
        assertThat(listener.awaitEvents(2, WAIT)).extracting(WatchEvent::key).containsExactly("fut/3", "fut/4");
    }

    @Test
    void watchFromACompactedRevisionFailsWithOutOfRange() {
        MetaStore s = store();
        long first = s.put("cp/a", bytes("1"));
        s.put("cp/a", bytes("2"));
        compactHistory(s, s.currentRevision() + 1);
        assertCode(ErrorCode.OUT_OF_RANGE, () -> s.watch("cp/", first, new RecordingListener()));

        Range now = s.range("cp/", 0);
        RecordingListener listener = new RecordingListener();
        closeLater(s.watch("cp/", now.revision() + 1, listener));
        long next = s.put("cp/a", bytes("3"));
        assertThat(listener.awaitEvents(1, WAIT).get(0).revision()).isEqualTo(next);
    }

    @Test
    void aWatcherThatFallsBehindCompactionEndsWithOutOfRange() throws Exception {
        MetaStore s = store();
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        RecordingListener recorder = new RecordingListener();
        Watch watch = closeLater(s.watch("lag/", new WatchListener() {
            @Override
            public void onEvents(List<WatchEvent> events) {
                recorder.onEvents(events);
                entered.countDown();
                try {
                    release.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            @Override
            public void onError(StreamingException error) {
                recorder.onError(error);
            }
        }));
        s.put("lag/1", bytes("1"));
        assertThat(entered.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        s.put("lag/2", bytes("2"));
        compactHistory(s, s.currentRevision() + 1);
        release.countDown();
        recorder.awaitError(WAIT);
        assertThat(recorder.error().code()).isEqualTo(ErrorCode.OUT_OF_RANGE);
        assertThat(recorder.events()).extracting(WatchEvent::key).containsExactly("lag/1");
        assertThat(recorder.calledAfterError()).isFalse();
        assertThat(watch.isClosed()).isTrue();
    }

    @Test
    void aClosedWatchReceivesNothingMore() {
        MetaStore s = store();
        RecordingListener first = new RecordingListener();
        Watch watch = s.watch("cl/", first);
        s.put("cl/1", bytes("1"));
        first.awaitEvents(1, WAIT);
        watch.close();
        watch.close();
        assertThat(watch.isClosed()).isTrue();
        RecordingListener second = closeLater(new RecordingListenerWatch(s, "cl/")).listener;
        s.put("cl/2", bytes("2"));
        second.awaitEvents(1, WAIT);
        assertThat(first.events()).hasSize(1);
        assertThat(first.error()).as("closing is not an error").isNull();
    }

    /** A watch and its recorder, closed together. */
    private static final class RecordingListenerWatch implements AutoCloseable {
        final RecordingListener listener = new RecordingListener();
        final Watch watch;

        RecordingListenerWatch(MetaStore s, String prefix) {
            watch = s.watch(prefix, listener);
        }

        @Override
        public void close() {
            watch.close();
        }
    }

    @Test
    void aListenerThatThrowsEndsOnlyItsOwnWatch() {
        MetaStore s = store();
        RecordingListener errors = new RecordingListener();
        Watch failing = closeLater(s.watch("th/", new WatchListener() {
            @Override
            public void onEvents(List<WatchEvent> events) {
                throw new IllegalStateException("listener bug");
            }

            @Override
            public void onError(StreamingException error) {
                errors.onError(error);
            }
        }));
        RecordingListener healthy = new RecordingListener();
        closeLater(s.watch("th/", healthy));
        s.put("th/1", bytes("1"));
        errors.awaitError(WAIT);
        assertThat(errors.error().code()).isEqualTo(ErrorCode.INNER);
        assertThat(failing.isClosed()).isTrue();
        s.put("th/2", bytes("2"));
        assertThat(healthy.awaitEvents(2, WAIT)).hasSize(2);
    }

    // ---------------------------------------------------------------- leases

    @Test
    void leaseExpiryDeletesItsKeysAndWatchersSeeDeleteEvents() {
        MetaStore s = store();
        long lease = s.grantLease(leaseTtl());
        assertThat(lease).isPositive();
        s.put("l/a", bytes("a"), lease);
        s.put("l/b", bytes("b"), lease);
        s.put("l/c", bytes("c"));
        assertThat(s.get("l/a").orElseThrow().lease()).isEqualTo(lease);
        RecordingListener listener = new RecordingListener();
        closeLater(s.watch("l/", listener));

        advanceClock(leaseTtl().plusSeconds(1));
        Await.until("the expired lease's keys are deleted", WAIT, () -> s.get("l/a").isEmpty());
        assertThat(keys(s.scan("l/"))).containsExactly("l/c");
        List<WatchEvent> events = listener.awaitEvents(2, WAIT);
        assertThat(events).extracting(WatchEvent::key).containsExactly("l/a", "l/b");
        assertThat(events).allMatch(e -> e.type() == WatchEvent.Type.DELETE && e.revision() == events.get(0).revision());
        assertThat(s.keepAlive(lease)).isFalse();
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> s.put("l/d", bytes("d"), lease));
    }

    @Test
    void keepAlivePostponesExpiry() {
        MetaStore s = store();
        Duration ttl = leaseTtl();
        long lease = s.grantLease(ttl);
        s.put("ka/kept", bytes("v"), lease);
        advanceClock(ttl.multipliedBy(6).dividedBy(10));
        assertThat(s.keepAlive(lease)).isTrue();
        String canary = canary(s, ttl.dividedBy(2));  // expires at 1.1 ttl: after the lease's first deadline, before its second

        advanceClock(ttl.multipliedBy(6).dividedBy(10));
        Await.until("the canary lease expired", WAIT, () -> s.get(canary).isEmpty());
        assertThat(s.get("ka/kept")).as("refreshed at 0.6 ttl, alive at 1.2 ttl").isPresent();
        assertThat(s.keepAlive(lease)).isTrue();

        advanceClock(ttl.multipliedBy(2));
        Await.until("the lease expired once no longer refreshed", WAIT, () -> s.get("ka/kept").isEmpty());
    }

    @Test
    void revokingALeaseDeletesItsKeysAtOnceInOneRevision() {
        MetaStore s = store();
        long lease = s.grantLease(leaseTtl());
        s.put("rv/a", bytes("a"), lease);
        s.putIfAbsent("rv/b", bytes("b"), lease);
        RecordingListener listener = new RecordingListener();
        closeLater(s.watch("rv/", listener));
        long before = s.currentRevision();
        assertThat(s.revokeLease(lease)).isTrue();
        assertThat(s.scan("rv/")).isEmpty();
        assertThat(s.currentRevision()).isEqualTo(before + 1);
        assertThat(s.revokeLease(lease)).isFalse();
        assertThat(s.keepAlive(lease)).isFalse();
        assertThat(listener.awaitEvents(2, WAIT)).allMatch(e -> e.type() == WatchEvent.Type.DELETE
                && e.revision() == before + 1);
        long empty = s.grantLease(leaseTtl());
        assertThat(s.revokeLease(empty)).isTrue();
        assertThat(s.currentRevision()).as("a lease with no keys ends without a revision").isEqualTo(before + 1);
    }

    @Test
    void aPutMovesTheKeyToItsLeaseOrToNone() {
        MetaStore s = store();
        long one = s.grantLease(leaseTtl());
        long two = s.grantLease(leaseTtl());
        assertThat(two).isNotEqualTo(one);
        s.put("mv/free", bytes("1"), one);
        s.put("mv/free", bytes("2"));
        s.put("mv/moved", bytes("1"), one);
        s.put("mv/moved", bytes("2"), two);
        assertThat(s.revokeLease(one)).isTrue();
        assertThat(s.get("mv/free").orElseThrow().lease()).isZero();
        assertThat(s.get("mv/moved").orElseThrow().lease()).isEqualTo(two);
        assertThat(s.revokeLease(two)).isTrue();
        assertThat(keys(s.scan("mv/"))).containsExactly("mv/free");
    }

    @Test
    void aLeaseKeeperKeepsTheLeaseAliveAndReportsItsLoss() {
        MetaStore s = store();
        Duration ttl = leaseTtl();
        long lease = s.grantLease(ttl);
        s.put("lk/session", bytes("me"), lease);
        AtomicInteger lost = new AtomicInteger();
        LeaseKeeper keeper = closeLater(LeaseKeeper.start(s, lease, Duration.ofMillis(5), lost::incrementAndGet));
        for (int round = 0; round < 3; round++) {
            long seen = keeper.refreshes();
            Await.until("the keeper refreshed the lease", WAIT, () -> keeper.refreshes() > seen);
            advanceClock(ttl.multipliedBy(6).dividedBy(10));
        }
        String canary = canary(s, ttl.dividedBy(10));
        advanceClock(ttl.dividedBy(5));
        Await.until("the canary lease expired", WAIT, () -> s.get(canary).isEmpty());
        assertThat(s.get("lk/session")).as("kept alive across 1.8 ttl").isPresent();
        assertThat(lost.get()).isZero();

        keeper.close();
        advanceClock(ttl.multipliedBy(2));
        Await.until("the lease expired once its keeper closed", WAIT, () -> s.get("lk/session").isEmpty());
        assertThat(lost.get()).as("closing is not a loss").isZero();

        long second = s.grantLease(ttl);
        LeaseKeeper watching = closeLater(LeaseKeeper.start(s, second, Duration.ofMillis(5), lost::incrementAndGet));
        s.revokeLease(second);
        Await.until("the keeper noticed the loss", WAIT, () -> lost.get() == 1);
        assertThat(watching.isLost()).isTrue();
    }

    // ---------------------------------------------------------------- crash, restart, close

    @Test
    void everythingDurableSurvivesACrashAndTheRevisionGoesOn() {
        MetaStore s = openStore();
        long lease = s.grantLease(leaseTtl());
        s.put("d/a", bytes("1"));
        s.put("d/b", bytes("2"), lease);
        s.txn(List.of(Compare.present("d/a")), List.of(Op.put("d/c", bytes("3")), Op.delete("d/a")), List.of());
        s.put("d/c", bytes("4"));
        long revision = s.currentRevision();
        List<KeyValue> before = s.scan("");
        RecordingListener history = new RecordingListener();
        s.watch("d/", 1, history);
        List<WatchEvent> events = history.awaitEvents(5, WAIT);

        MetaStore reopened = closeLater(crashAndReopen(s));
        assertThat(reopened.currentRevision()).isEqualTo(revision);
        assertThat(reopened.scan("")).isEqualTo(before);
        RecordingListener replay = new RecordingListener();
        closeLater(reopened.watch("d/", 1, replay));
        assertThat(replay.awaitEvents(5, WAIT)).isEqualTo(events);
        assertThat(reopened.put("d/e", bytes("5"))).isEqualTo(revision + 1);

        assertThat(reopened.keepAlive(lease)).as("leases survive a restart").isTrue();
        assertThat(reopened.grantLease(leaseTtl())).as("lease ids are never reused").isNotEqualTo(lease);
        advanceClock(leaseTtl().plusSeconds(1));
        Await.until("the restored lease expires", WAIT, () -> reopened.get("d/b").isEmpty());
    }

    @Test
    void aLeaseHeldAtACrashGetsAFullTimeToLiveFromTheRestart() {
        MetaStore s = openStore();
        Duration ttl = leaseTtl();
        long lease = s.grantLease(ttl);
        s.put("rs/session", bytes("dead process"), lease);
        advanceClock(ttl.multipliedBy(9).dividedBy(10));
        MetaStore reopened = closeLater(crashAndReopen(s));
        String canary = canary(reopened, ttl.dividedBy(2));
        advanceClock(ttl.multipliedBy(6).dividedBy(10));
        Await.until("the canary lease expired", WAIT, () -> reopened.get(canary).isEmpty());
        assertThat(reopened.get("rs/session")).as("1.5 ttl after grant, 0.6 ttl after restart").isPresent();
        advanceClock(ttl.dividedBy(2));
        Await.until("the dead process's key goes one ttl after the restart", WAIT,
                () -> reopened.get("rs/session").isEmpty());
    }

    @Test
    void reopeningAfterACleanCloseKeepsEverything() {
        MetaStore s = openStore();
        s.put("cc/a", bytes("1"));
        long lease = s.grantLease(leaseTtl());
        s.put("cc/b", bytes("2"), lease);
        List<KeyValue> before = s.scan("");
        long revision = s.currentRevision();
        s.close();
        MetaStore reopened = store();
        assertThat(reopened.scan("")).isEqualTo(before);
        assertThat(reopened.currentRevision()).isEqualTo(revision);
        assertThat(reopened.keepAlive(lease)).isTrue();
    }

    @Test
    void closeEndsWatchesAndMakesEveryLaterCallFailWithOnShutdown() {
        MetaStore s = openStore();
        s.put("z/a", bytes("1"));
        long lease = s.grantLease(leaseTtl());
        RecordingListener listener = new RecordingListener();
        s.watch("z/", listener);
        s.close();
        s.close();
        listener.awaitError(WAIT);
        assertThat(listener.error().code()).isEqualTo(ErrorCode.ON_SHUTDOWN);

        ErrorCode off = ErrorCode.ON_SHUTDOWN;
        assertCode(off, () -> s.get("z/a"));
        assertCode(off, () -> s.range("z/", 0));
        assertCode(off, () -> s.put("z/b", bytes("2")));
        assertCode(off, () -> s.delete("z/a"));
        assertCode(off, () -> s.deletePrefix("z/"));
        assertCode(off, () -> s.txn(List.of(), List.of(Op.get("z/a")), List.of()));
        assertCode(off, () -> s.putIfAbsent("z/c", bytes("3")));
        assertCode(off, s::currentRevision);
        assertCode(off, () -> s.watch("z/", new RecordingListener()));
        assertCode(off, () -> s.grantLease(leaseTtl()));
        assertCode(off, () -> s.keepAlive(lease));
        assertCode(off, () -> s.revokeLease(lease));
        assertThat(store().get("z/a")).as("closing lost nothing").isPresent();
    }

    @Test
    void callsRacingWithCloseEitherCompleteOrFailWithOnShutdown() throws Exception {
        MetaStore s = openStore();
        int threads = 4;
        ExecutorService pool = threads(threads);
        CountDownLatch started = new CountDownLatch(threads);
        List<Long> acknowledged = new CopyOnWriteArrayList<>();
        List<Future<ErrorCode>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            futures.add(pool.submit((Callable<ErrorCode>) () -> {
                started.countDown();
                for (int i = 0; ; i++) {
                    try {
                        acknowledged.add(s.put("rc/" + thread + "/" + i, bytes("v")));
                    } catch (StreamingException e) {
                        return e.code();
                    }
                }
            }));
        }
        started.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        Await.until("some writes were acknowledged", WAIT, () -> acknowledged.size() >= 20);
        s.close();
        assertThat(all(futures)).containsOnly(ErrorCode.ON_SHUTDOWN);
        MetaStore reopened = store();
        Set<Long> stored = reopened.scan("rc/").stream().map(KeyValue::modRevision).collect(Collectors.toSet());
        assertThat(stored).containsAll(acknowledged);
    }
}
