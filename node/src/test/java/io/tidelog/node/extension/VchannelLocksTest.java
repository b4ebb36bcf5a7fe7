package io.tidelog.node.extension;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.tidelog.common.MessageId;
import io.tidelog.message.MutableMessage;
import io.tidelog.node.AppendResult;
import io.tidelog.proto.DropCollectionHeader;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.RawHeader;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class VchannelLocksTest {
    final VchannelLocks locks = new VchannelLocks();
    /** The appends that reached the rest of the chain, in order, each with the future that completes it. */
    final List<String> reached = new ArrayList<>();
    final List<CompletableFuture<AppendResult>> pending = new ArrayList<>();

    CompletableFuture<AppendResult> append(MutableMessage m, String label) {
        return locks.append(m, msg -> {
            reached.add(label);
            CompletableFuture<AppendResult> f = new CompletableFuture<>();
            pending.add(f);
            return f;
        });
    }

    static MutableMessage dml(String v) {
        return MutableMessage.builder(MessageType.RAW, v).header(RawHeader.getDefaultInstance())
                .payload(ByteString.copyFromUtf8("x")).build();
    }

    static MutableMessage ddl(String v) {
        return MutableMessage.builder(MessageType.DROP_COLLECTION, v)
                .header(DropCollectionHeader.newBuilder().setCollectionId(1).build()).build();
    }

    static final AppendResult OK = new AppendResult(MessageId.of(0, 1), 1, MessageId.of(0, 0));

    @Test
    void aDdlWaitsForTheDmlInFlightAndTheDmlAfterItWaitsForTheDdl() {
        append(dml("p-1_a"), "dml1");
        append(dml("p-1_a"), "dml2");
        CompletableFuture<AppendResult> drop = append(ddl("p-1_a"), "drop");
        append(dml("p-1_a"), "dml3");
        append(dml("p-1_b"), "other vchannel");
        assertThat(reached).containsExactly("dml1", "dml2", "other vchannel");

        pending.get(0).complete(OK);
        assertThat(reached).containsExactly("dml1", "dml2", "other vchannel");
        pending.get(1).complete(OK);
        assertThat(reached).containsExactly("dml1", "dml2", "other vchannel", "drop");
        assertThat(drop).isNotDone();

        pending.get(3).complete(OK); // the drop is published
        assertThat(reached).containsExactly("dml1", "dml2", "other vchannel", "drop", "dml3");
        pending.get(4).complete(OK);
        pending.get(2).complete(OK);
        assertThat(locks.lockedVchannels()).isZero();
    }

    @Test
    void aWaitingDdlIsNotStarvedByLaterDml() {
        append(dml("p-1_a"), "dml1");
        append(ddl("p-1_a"), "drop");
        for (int i = 0; i < 5; i++) {
            append(dml("p-1_a"), "late" + i);
        }
        assertThat(reached).containsExactly("dml1");
        pending.get(0).complete(OK);
        assertThat(reached).containsExactly("dml1", "drop");
        pending.get(1).complete(OK);
        assertThat(reached).containsExactly("dml1", "drop", "late0", "late1", "late2", "late3", "late4");
    }

    @Test
    void aFailedAppendReleasesItsLock() {
        append(ddl("p-1_a"), "drop");
        append(dml("p-1_a"), "dml");
        pending.get(0).completeExceptionally(new IllegalStateException("disk gone"));
        assertThat(reached).containsExactly("drop", "dml");
        pending.get(1).complete(OK);
        assertThat(locks.lockedVchannels()).isZero();
    }
}
