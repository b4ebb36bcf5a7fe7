package io.tidelog.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.proto.MessageEnvelope;
import io.tidelog.testing.Seeds;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The ring of in-flight appends against a sorted map doing the same. */
class InFlightAppendsTest {
    @RegisterExtension
    final Seeds seeds = new Seeds();

    static PendingAppend sent(long requestId, int bytes) {
        PendingAppend a = new PendingAppend(requestId, MessageEnvelope.getDefaultInstance(), bytes, 0,
                new CompletableFuture<>());
        a.sent = true;
        a.requestId = requestId;
        return a;
    }

    @Test
    void randomSendsAndAnswersAgreeWithASortedMapAcrossGrowthAndWrapAround() {
        Random random = seeds.random();
        InFlightAppends ring = new InFlightAppends();
        TreeMap<Long, PendingAppend> model = new TreeMap<>();
        long nextId = 1 + random.nextInt(1000);
        for (int step = 0; step < 200_000; step++) {
            int what = random.nextInt(10);
            if (what < 4 || model.isEmpty()) {
                PendingAppend a = sent(nextId++, 1 + random.nextInt(100));
                ring.add(a);
                model.put(a.requestId, a);
            } else if (what < 6) {
                Map.Entry<Long, PendingAppend> oldest = model.pollFirstEntry();
                assertThat(ring.remove(oldest.getKey())).isSameAs(oldest.getValue());
            } else if (what < 9) {
                long id = model.firstKey() + random.nextInt((int) (nextId - model.firstKey()) + 3) - 1;
                assertThat(ring.remove(id)).as("request %d", id).isSameAs(model.remove(id));
            } else {
                long id = nextId + random.nextInt(5) - 1000;
                assertThat(ring.remove(id)).isSameAs(model.remove(id));
            }
            assertThat(ring.size()).isEqualTo(model.size());
            assertThat(ring.bytes).isEqualTo(model.values().stream().mapToLong(a -> a.bytes).sum());
            assertThat(ring.oldest()).isSameAs(model.isEmpty() ? null : model.firstEntry().getValue());
            if (step % 10_000 == 0) {
                List<PendingAppend> drained = new ArrayList<>();
                ring.drainTo(drained);
                assertThat(drained).containsExactlyElementsOf(model.values());
                model.clear();
                assertThat(ring.isEmpty()).isTrue();
                assertThat(ring.bytes).isZero();
            }
        }
    }

    @Test
    void oneAppendLeftUnansweredWhileThousandsAfterItAreAnsweredStaysFindable() {
        InFlightAppends ring = new InFlightAppends();
        PendingAppend stuck = sent(7, 10);
        ring.add(stuck);
        for (long id = 8; id < 100_000; id++) {
            ring.add(sent(id, 1));
            assertThat(ring.remove(id)).isNotNull();
        }
        assertThat(ring.size()).isEqualTo(1);
        assertThat(ring.oldest()).isSameAs(stuck);
        assertThat(ring.remove(99_999)).isNull();
        assertThat(ring.remove(7)).isSameAs(stuck);
        assertThat(ring.isEmpty()).isTrue();
        assertThat(ring.remove(7)).as("answered twice").isNull();
    }

    @Test
    void anAppendWhoseIdDoesNotFollowTheLastSentIsRefused() {
        InFlightAppends ring = new InFlightAppends();
        ring.add(sent(5, 1));
        assertThatThrownBy(() -> ring.add(sent(7, 1))).isInstanceOf(IllegalStateException.class);
        ring.add(sent(6, 1));
        assertThat(ring.all(a -> a.requestId >= 5)).isTrue();
        assertThat(ring.all(a -> a.requestId == 5)).isFalse();
    }
}
