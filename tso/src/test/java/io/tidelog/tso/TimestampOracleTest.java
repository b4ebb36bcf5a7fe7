package io.tidelog.tso;

import static io.tidelog.tso.HybridTimestamps.compose;
import static io.tidelog.tso.HybridTimestamps.physicalMillis;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TimestampOracleTest {
    private static final long T0 = 1_764_000_000_000L; // 2025-11-24
    private static final TsoConfig THREE_SECONDS = TsoConfig.defaults();

    private final FakeClock clock = new FakeClock(T0);
    private final CountingStore store = new CountingStore(0);

    @TempDir
    Path dir;

    @Test
    void thePhysicalPartFollowsTheClockAndTheLogicalPartCountsWithinAMillisecond() {
        TimestampOracle tso = new TimestampOracle(store, clock, THREE_SECONDS);

        assertThat(tso.next()).isEqualTo(compose(T0, 0));
        assertThat(tso.next()).isEqualTo(compose(T0, 1));
        clock.advance(5);
        assertThat(tso.next()).isEqualTo(compose(T0 + 5, 0));
    }

    @Test
    void allocateReturnsTheFirstOfConsecutiveTimestampsAllAboveThoseBefore() {
        TimestampOracle tso = new TimestampOracle(store, clock, THREE_SECONDS);
        long before = tso.next();

        long first = tso.allocate(1000);

        assertThat(first).isEqualTo(before + 1);
        assertThat(tso.next()).isEqualTo(first + 1000);
    }

    @Test
    void aClockGoingBackwardsNeverMakesTimestampsGoBack() {
        TimestampOracle tso = new TimestampOracle(store, clock, THREE_SECONDS);
        long high = tso.next();

        clock.set(T0 - 60_000);
        long afterJump = tso.next();
        clock.set(T0 - 1);
        long stillBehind = tso.allocate(10);
        clock.set(T0 + 20);
        long caughtUp = tso.next();

        assertThat(afterJump).isGreaterThan(high);
        assertThat(physicalMillis(afterJump)).isEqualTo(T0);
        assertThat(stillBehind).isGreaterThan(afterJump);
        assertThat(caughtUp).isEqualTo(compose(T0 + 20, 0));
    }

    @Test
    void theLogicalPartOverflowsIntoTheNextMillisecond() {
        TimestampOracle tso = new TimestampOracle(store, clock, THREE_SECONDS);

        long first = tso.allocate(TimestampOracle.MAX_BATCH);
        long next = tso.next();
        long batchAcrossTheBoundary = tso.allocate(TimestampOracle.MAX_BATCH);

        assertThat(first).isEqualTo(compose(T0, 0));
        assertThat(next).isEqualTo(compose(T0 + 1, 0));
        assertThat(batchAcrossTheBoundary).isEqualTo(compose(T0 + 1, 1));
        assertThat(tso.next()).isEqualTo(compose(T0 + 2, 1));
    }

    @Test
    void badBatchSizesAreRejected() {
        TimestampOracle tso = new TimestampOracle(store, clock, THREE_SECONDS);

        for (int count : new int[] {0, -1, TimestampOracle.MAX_BATCH + 1}) {
            assertThatThrownBy(() -> tso.allocate(count))
                    .isInstanceOfSatisfying(StreamingException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        }
    }

    @Test
    void theMarkIsSavedAWindowAheadNotOncePerCall() {
        TimestampOracle tso = new TimestampOracle(store, clock, THREE_SECONDS);

        for (int i = 0; i < 29_000; i++) {
            long ts = tso.next();
            assertThat(physicalMillis(ts)).isLessThan(store.mark());
            if (i % 10 == 9) {
                clock.advance(1);
            }
        }

        assertThat(store.saves()).isEqualTo(1);
        assertThat(store.mark()).isEqualTo(T0 + 3_000);
        clock.advance(1_000);
        tso.next();
        assertThat(store.saves()).isEqualTo(2);
        assertThat(store.mark()).isEqualTo(T0 + 3_900 + 3_000);
    }

    @Test
    void tryAllocateIssuesWithoutSavingAndReturnsZeroWhenTheMarkMustMoveOrASaveIsUnderWay() throws Exception {
        TimestampOracle tso = new TimestampOracle(store, clock, THREE_SECONDS);
        assertThat(tso.tryAllocate(5)).as("the first call must save a mark").isZero();
        assertThat(store.saves()).isZero();
        long first = tso.allocate(1);
        long tried = tso.tryAllocate(5);
        assertThat(tried).as("within the saved window").isEqualTo(first + 1);
        assertThat(tso.next()).isEqualTo(first + 6);
        clock.advance(3_000);
        assertThat(tso.tryAllocate(1)).as("the window used up").isZero();
        assertThat(store.saves()).isEqualTo(1);
        long after = tso.next();
        assertThat(after).isGreaterThan(first + 6);
        assertThat(store.saves()).isEqualTo(2);

        // A call that saves holds the oracle: a try in the meantime gets 0 at once rather than waiting for the save.
        clock.advance(3_000);
        java.util.concurrent.CountDownLatch saving = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        TimestampOracle slow = new TimestampOracle(new TimestampStore() {
            @Override
            public long load() {
                return 0;
            }

            @Override
            public void save(long highWaterMillis) {
                saving.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }, clock, THREE_SECONDS);
        ExecutorService saver = Executors.newSingleThreadExecutor();
        try {
            Future<Long> saved = saver.submit(() -> slow.allocate(1));
            assertThat(saving.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(slow.tryAllocate(1)).isZero();
            release.countDown();
            long issued = saved.get(10, TimeUnit.SECONDS);
            assertThat(slow.tryAllocate(1)).isEqualTo(issued + 1);
        } finally {
            release.countDown();
            saver.shutdownNow();
        }
    }

    @Test
    void aFailedSaveIssuesNothingAndTheOracleRecovers() {
        TimestampOracle tso = new TimestampOracle(store, clock, THREE_SECONDS);
        long before = tso.next();
        clock.advance(10_000);
        store.failSaves.set(true);

        assertThatThrownBy(tso::next).isInstanceOfSatisfying(StreamingException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.INNER));
        assertThat(store.mark()).isEqualTo(T0 + 3_000);

        store.failSaves.set(false);
        long after = tso.next();
        assertThat(after).isEqualTo(compose(T0 + 10_000, 0)).isGreaterThan(before);
        assertThat(physicalMillis(after)).isLessThan(store.mark());
    }

    @Test
    void anOracleStartsAboveTheLoadedMarkEvenWhenTheClockIsBehindIt() {
        CountingStore ahead = new CountingStore(T0 + 5_000);
        TimestampOracle tso = new TimestampOracle(ahead, clock, THREE_SECONDS);

        assertThat(tso.next()).isEqualTo(compose(T0 + 5_000, 0));
        assertThat(ahead.mark()).isEqualTo(T0 + 8_000);
    }

    @Test
    void aRestartWithTheFileStoreIssuesOnlyTimestampsGreaterThanAllBefore() {
        long highest = 0;
        Random random = new Random(7);
        for (int restart = 0; restart < 5; restart++) {
            TimestampOracle tso = new TimestampOracle(new FileTimestampStore(dir), clock, THREE_SECONDS);
            long first = tso.next();
            assertThat(first).as("first timestamp after restart %d", restart).isGreaterThan(highest);
            for (int i = 0; i < 50; i++) {
                tso.allocate(1 + random.nextInt(TimestampOracle.MAX_BATCH));
                clock.advance(random.nextInt(2_000));
            }
            highest = tso.allocate(TimestampOracle.MAX_BATCH) + TimestampOracle.MAX_BATCH - 1;
            clock.set(T0 - 3_600_000L * (restart + 1)); // an hour further back each time
        }
    }

    @Test
    void aCorruptStoreFileStopsTheOracleFromStarting() throws Exception {
        new TimestampOracle(new FileTimestampStore(dir), clock, THREE_SECONDS).next();
        Files.write(dir.resolve(FileTimestampStore.FILE_NAME), new byte[] {0, 1, 2});

        assertThatThrownBy(() -> new TimestampOracle(new FileTimestampStore(dir), clock, THREE_SECONDS))
                .isInstanceOfSatisfying(StreamingException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.DATA_CORRUPTED));
    }

    @Test
    void anImpossibleMarkFromTheStoreIsDataCorrupted() {
        assertThatThrownBy(() -> new TimestampOracle(new CountingStore(-1), clock, THREE_SECONDS))
                .isInstanceOfSatisfying(StreamingException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.DATA_CORRUPTED));
    }

    @Test
    void concurrentCallersGetUniqueTimestampsIncreasingInEachThread() throws Exception {
        TimestampOracle tso = new TimestampOracle(store, clock, new TsoConfig(Duration.ofMillis(50)));
        int threads = 4;
        int callsPerThread = 20_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<long[]>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int seed = t;
                results.add(pool.submit(issue(tso, callsPerThread, new Random(seed))));
            }
            List<long[]> perThread = new ArrayList<>();
            for (Future<long[]> f : results) {
                perThread.add(f.get(60, TimeUnit.SECONDS));
            }

            int total = 0;
            for (long[] issued : perThread) {
                for (int i = 1; i < issued.length; i++) {
                    assertThat(issued[i]).isGreaterThan(issued[i - 1]);
                }
                total += issued.length;
            }
            long[] all = new long[total];
            int at = 0;
            for (long[] issued : perThread) {
                System.arraycopy(issued, 0, all, at, issued.length);
                at += issued.length;
            }
            Arrays.sort(all);
            for (int i = 1; i < all.length; i++) {
                assertThat(all[i]).as("duplicate timestamp").isNotEqualTo(all[i - 1]);
            }
            assertThat(store.saves()).isGreaterThan(1).isLessThan(total / 10);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Issues timestamps with next() and small allocate() batches, moving the shared clock now and then. */
    private Callable<long[]> issue(TimestampOracle tso, int calls, Random random) {
        return () -> {
            long[] issued = new long[calls * 4];
            int n = 0;
            for (int i = 0; i < calls; i++) {
                if (random.nextInt(8) == 0) {
                    clock.advance(random.nextInt(4) - 1); // mostly forwards, sometimes back
                }
                if (random.nextBoolean()) {
                    issued[n++] = tso.next();
                } else {
                    int count = 1 + random.nextInt(4);
                    long first = tso.allocate(count);
                    for (int k = 0; k < count; k++) {
                        issued[n++] = first + k;
                    }
                }
            }
            return Arrays.copyOf(issued, n);
        };
    }
}
