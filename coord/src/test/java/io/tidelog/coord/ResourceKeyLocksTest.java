package io.tidelog.coord;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class ResourceKeyLocksTest {
    final ResourceKeyLocks locks = new ResourceKeyLocks();
    static final ResourceKey A = ResourceKey.collection("a");
    static final ResourceKey B = ResourceKey.collection("b");
    static final ResourceKey CLUSTER = ResourceKey.clusterShared();
    static final ResourceKey CLUSTER_EXCLUSIVE = new ResourceKey("cluster", true);

    @Test
    void ddlOfDifferentCollectionsRunTogetherSharingTheClusterKey() {
        assertThat(locks.acquire(List.of(A, CLUSTER))).isDone();
        assertThat(locks.acquire(List.of(B, CLUSTER))).isDone();
    }

    @Test
    void anExclusiveKeyWaitsForItsHolderAndIsGrantedOnRelease() {
        CompletableFuture<ResourceKeyLocks.Held> first = locks.acquire(List.of(A, CLUSTER));
        CompletableFuture<ResourceKeyLocks.Held> second = locks.acquire(List.of(A, CLUSTER));
        assertThat(second).isNotDone();
        first.join().release();
        assertThat(second).isDone();
    }

    @Test
    void aWaitingExclusiveRequestIsNotOvertakenByLaterSharedOnes() {
        CompletableFuture<ResourceKeyLocks.Held> shared = locks.acquire(List.of(A, CLUSTER));
        CompletableFuture<ResourceKeyLocks.Held> exclusive = locks.acquire(List.of(CLUSTER_EXCLUSIVE));
        CompletableFuture<ResourceKeyLocks.Held> later = locks.acquire(List.of(B, CLUSTER));
        assertThat(exclusive).isNotDone();
        assertThat(later).isNotDone();

        shared.join().release();
        assertThat(exclusive).isDone();
        assertThat(later).isNotDone();
        exclusive.join().release();
        assertThat(later).isDone();
        assertThat(locks.waitingCount()).isZero();
    }

    @Test
    void releasingTwiceReleasesOnce() {
        ResourceKeyLocks.Held held = locks.acquire(List.of(A)).join();
        CompletableFuture<ResourceKeyLocks.Held> next = locks.acquire(List.of(A));
        held.release();
        held.release();
        assertThat(next).isDone();
        assertThat(locks.acquire(List.of(A))).isNotDone();
    }
}
