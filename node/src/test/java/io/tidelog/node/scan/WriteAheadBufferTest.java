package io.tidelog.node.scan;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.tidelog.common.MessageId;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.MutableMessage;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.RawHeader;
import org.junit.jupiter.api.Test;

class WriteAheadBufferTest {
    final WriteAheadBuffer buffer = new WriteAheadBuffer(1 << 20, Long.MAX_VALUE, System::nanoTime);

    static ImmutableMessage raw(long offset) {
        return MutableMessage.builder(MessageType.RAW, "p-1_a").header(RawHeader.getDefaultInstance())
                .payload(ByteString.copyFromUtf8("m" + offset)).build().intoImmutable(MessageId.of(0, offset));
    }

    @Test
    void aReaderContinuesRightAfterAnIdTheBufferHolds() {
        buffer.append(raw(1), 10, true);
        buffer.append(raw(2), 10, true);

        assertThat(buffer.seqAfter(MessageId.of(0, 1))).isEqualTo(buffer.seqOf(MessageId.of(0, 2)));
        assertThat(buffer.seqAfter(MessageId.of(0, 2))).isEqualTo(buffer.endSeq());
    }

    @Test
    void anIdNotPublishedYetIsNotVouchedFor() {
        // A scanner may read record 3 from the backend (durable there) before the WAL publishes it here: the
        // buffer's end is not "after 3" but 3 itself, and tailing from there would deliver 3 twice.
        buffer.append(raw(1), 10, true);
        buffer.append(raw(2), 10, true);

        assertThat(buffer.seqAfter(MessageId.of(0, 3))).isEqualTo(-1);
        buffer.append(raw(3), 10, true);
        assertThat(buffer.seqAfter(MessageId.of(0, 3))).isEqualTo(buffer.endSeq());
    }

    @Test
    void anIdOlderThanWhatTheBufferRetainsIsNotVouchedFor() {
        buffer.append(raw(5), 10, true);

        assertThat(buffer.seqAfter(MessageId.of(0, 4))).isEqualTo(-1);
    }
}
