package io.tidelog.node.scan;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.tidelog.common.MessageId;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.MutableMessage;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.RawHeader;
import io.tidelog.testing.Seeds;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class WriteAheadBufferTest {
    @RegisterExtension
    final Seeds seeds = new Seeds();

    final WriteAheadBuffer buffer = new WriteAheadBuffer(1 << 20, Long.MAX_VALUE, System::nanoTime);

    static MutableMessage raw(long offset) {
        return MutableMessage.builder(MessageType.RAW, "p-1_a").header(RawHeader.getDefaultInstance())
                .payload(ByteString.copyFromUtf8("m" + offset)).build();
    }

    @Test
    void aReaderContinuesRightAfterAnIdTheBufferHolds() {
        buffer.append(MessageId.of(0, 1), raw(1), true);
        buffer.append(MessageId.of(0, 2), raw(2), true);

        assertThat(buffer.seqAfter(MessageId.of(0, 1))).isEqualTo(buffer.seqOf(MessageId.of(0, 2)));
        assertThat(buffer.seqAfter(MessageId.of(0, 2))).isEqualTo(buffer.endSeq());
    }

    @Test
    void anIdNotPublishedYetIsNotVouchedFor() {
        // A scanner may read record 3 from the backend (durable there) before the WAL publishes it here: the
        // buffer's end is not "after 3" but 3 itself, and tailing from there would deliver 3 twice.
        buffer.append(MessageId.of(0, 1), raw(1), true);
        buffer.append(MessageId.of(0, 2), raw(2), true);

        assertThat(buffer.seqAfter(MessageId.of(0, 3))).isEqualTo(-1);
        buffer.append(MessageId.of(0, 3), raw(3), true);
        assertThat(buffer.seqAfter(MessageId.of(0, 3))).isEqualTo(buffer.endSeq());
    }

    @Test
    void anIdOlderThanWhatTheBufferRetainsIsNotVouchedFor() {
        buffer.append(MessageId.of(0, 5), raw(5), true);

        assertThat(buffer.seqAfter(MessageId.of(0, 4))).isEqualTo(-1);
    }

    @Test
    void aReaderGetsEveryRetainedRecordExactlyAsAppendedAcrossChunksAndEvictions() throws Exception {
        // 256 KiB of capacity: chunks of 64 KiB at most, records from a few bytes to larger than a chunk
        WriteAheadBuffer small = new WriteAheadBuffer(256 << 10, Long.MAX_VALUE, System::nanoTime);
        Random random = seeds.random();
        List<MutableMessage> appended = new ArrayList<>();
        List<ImmutableMessage> readEarly = new ArrayList<>();
        long seq = small.endSeq();
        for (int i = 0; i < 2_000; i++) {
            int size = random.nextInt(20) == 0 ? 64 * 1024 + random.nextInt(100_000) : random.nextInt(3_000);
            byte[] payload = new byte[size];
            random.nextBytes(payload);
            MutableMessage m = MutableMessage.builder(MessageType.RAW, "p-1_v" + (i % 3))
                    .header(RawHeader.getDefaultInstance()).property("i", Integer.toString(i))
                    .payload(ByteString.copyFrom(payload)).build().stamped(1_000 + i, MessageId.of(0, i), 7);
            small.append(MessageId.of(0, i + 1L), m, true);
            appended.add(m);
            if (i % 10 == 0) {
                // a reader that decoded a message keeps it intact whatever the buffer does afterwards
                readEarly.add(small.poll(seq + i, 0, () -> false).message());
            }
        }
        assertThat(small.bytes()).isLessThanOrEqualTo(256 << 10);
        long first = small.endSeq() - small.entries();
        for (long s = first; s < small.endSeq(); s++) {
            int i = (int) (s - seq);
            ImmutableMessage m = small.poll(s, 0, () -> false).message();
            assertThat(m.id()).isEqualTo(MessageId.of(0, i + 1L));
            assertThat(m.envelope()).isEqualTo(appended.get(i).envelope());
        }
        for (int k = 0; k < readEarly.size(); k++) {
            assertThat(readEarly.get(k).envelope()).isEqualTo(appended.get(k * 10).envelope());
        }
    }

    @Test
    void aQuietPchannelKeepsSmallChunksAndAnIdleOneDropsItsSpares() {
        long[] now = {0};
        long keepalive = 30_000_000_000L;
        WriteAheadBuffer b = new WriteAheadBuffer(64 << 20, keepalive, () -> now[0]);
        for (int i = 0; i < 100; i++) {
            b.append(MessageId.of(0, i + 1L), raw(i), true);
        }
        assertThat(b.chunkBytes()).isEqualTo(WriteAheadBuffer.MIN_CHUNK);

        byte[] payload = new byte[1024];
        for (int i = 100; i < 200_000; i++) { // about 200 MB through a 64 MiB buffer: full-size chunks, reused
            b.append(MessageId.of(0, i + 1L), MutableMessage.builder(MessageType.RAW, "p-1_a")
                    .header(RawHeader.getDefaultInstance()).payload(ByteString.copyFrom(payload)).build(), true);
        }
        long busy = b.chunkBytes();
        assertThat(busy).isLessThanOrEqualTo((64L << 20) + (WriteAheadBuffer.SPARE_CHUNKS + 2L) * WriteAheadBuffer.MAX_CHUNK);

        now[0] += keepalive + 1;
        b.evictExpired();
        assertThat(b.entries()).isEqualTo(1);
        assertThat(b.chunkBytes()).isLessThanOrEqualTo(WriteAheadBuffer.MAX_CHUNK);
    }
}
