package io.tidelog.server.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The history checker catches each way a log can break its promise, and passes one that keeps it. */
class HistoryTest {

    static History clean() {
        History h = new History();
        h.acked("v", 0, 10, 0);
        h.acked("v", 1, 20, 0);
        h.unknown("v", 2);
        h.acked("v", 3, 40, 0);
        h.delivered("v", 0, 10, 1);
        h.delivered("v", 1, 20, 1);
        h.delivered("v", 3, 40, 2);
        return h;
    }

    @Test
    void aHistoryWhereEveryAcknowledgedMessageArrivesOnceInOrderPasses() {
        assertThat(clean().check()).isEmpty();
        History withDoubt = clean();
        withDoubt.delivered("v", 4, 50, 2);
        withDoubt.unknown("v", 4);
        assertThat(withDoubt.check()).as("a message in doubt may arrive").isEmpty();
    }

    @Test
    void aLostAcknowledgedMessageIsCaught() {
        History h = new History();
        h.acked("v", 0, 10, 0);
        h.acked("v", 1, 20, 0);
        h.delivered("v", 0, 10, 1);
        assertThat(h.check()).containsExactly("v: acknowledged message 1 never delivered");
    }

    @Test
    void aDuplicateIsCaught() {
        History h = clean();
        h.delivered("v", 3, 50, 2);
        assertThat(h.check()).anyMatch(s -> s.contains("delivered more than once"));
    }

    @Test
    void timeTicksThatDoNotIncreaseAndMessagesOutOfOrderAreCaught() {
        History h = new History();
        h.acked("v", 0, 10, 0);
        h.acked("v", 1, 20, 0);
        h.delivered("v", 1, 20, 1);
        h.delivered("v", 0, 10, 1);
        assertThat(h.check()).anyMatch(s -> s.contains("after one at 20")).anyMatch(s -> s.contains("after message 1"));
    }

    @Test
    void aMessageNeverSentOrAtAnotherTimeTickIsCaught() {
        History h = clean();
        h.delivered("v", 9, 90, 2);
        assertThat(h.check()).anyMatch(s -> s.contains("never acknowledged nor in doubt"));
        History moved = new History();
        moved.acked("v", 0, 10, 0);
        moved.delivered("v", 0, 11, 1);
        assertThat(moved.check()).anyMatch(s -> s.contains("acknowledged at time tick 10 but delivered at 11"));
    }
}
