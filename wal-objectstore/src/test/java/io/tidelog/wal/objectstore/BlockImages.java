package io.tidelog.wal.objectstore;

import io.tidelog.common.MessageId;
import java.nio.ByteBuffer;

/** Test surgery on the bytes of a stored block. */
final class BlockImages {
    private BlockImages() {
    }

    /** The key of the block that holds {@code id}. */
    static String blockKey(String pchannel, MessageId id) {
        return WalLayout.block(pchannel, id.major(), BlockFormat.block(id));
    }

    /** {@code block} with the first payload byte of the record {@code id} flipped. */
    static byte[] flipPayloadByte(byte[] block, MessageId id) {
        byte[] out = block.clone();
        ByteBuffer b = ByteBuffer.wrap(out);
        int at = BlockFormat.HEADER_BYTES;
        for (int i = 0; i < BlockFormat.index(id); i++) {
            at += BlockFormat.RECORD_HEADER_BYTES + b.getInt(at);
        }
        if (b.getInt(at) == 0) {
            throw new IllegalArgumentException("record " + id + " has no payload to damage");
        }
        out[at + BlockFormat.RECORD_HEADER_BYTES] ^= 0x5A;
        return out;
    }
}
