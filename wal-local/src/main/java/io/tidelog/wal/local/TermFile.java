package io.tidelog.wal.local;

import io.tidelog.common.Fsync;
import io.tidelog.common.StreamingException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * The durable term of a pchannel: the fencing record. A writer of term {@code t} writes it here (and
 * syncs) before its first append; every batch write checks it. Two 32-byte slots are written
 * alternately, each with a sequence number and a checksum, so a torn write of one slot leaves the
 * other intact.
 *
 * <pre>
 * slot: term u64 | sequence u64 | crc32c u32 of [0, 16) | 12 zero bytes
 * </pre>
 */
final class TermFile implements AutoCloseable {
    static final String NAME = "term";
    private static final int SLOT = 32;

    private final Path path;
    private final FileChannel channel;
    private long term;
    private long sequence;

    private TermFile(Path path, FileChannel channel, long term, long sequence) {
        this.path = path;
        this.channel = channel;
        this.term = term;
        this.sequence = sequence;
    }

    static TermFile open(Path dir) throws IOException {
        Path path = dir.resolve(NAME);
        boolean created = !Files.exists(path);
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        if (created || ch.size() < 2 * SLOT) {
            ch.write(ByteBuffer.allocate(2 * SLOT), 0);
            ch.force(true);
            Fsync.directory(dir);
        }
        long bestTerm = 0;
        long bestSeq = -1;
        for (int slot = 0; slot < 2; slot++) {
            ByteBuffer b = ByteBuffer.allocate(SLOT);
            ByteSource.of(ch).readFully(b, (long) slot * SLOT);
            b.flip();
            CRC32C crc = new CRC32C();
            crc.update(b.array(), 0, 16);
            if (b.getInt(16) == (int) crc.getValue() && b.getLong(8) > bestSeq) {
                bestSeq = b.getLong(8);
                bestTerm = b.getLong(0);
            }
        }
        if (bestSeq < 0 && !created && !isAllZero(ch)) {
            ch.close();
            throw StreamingException.corrupted("term file " + path + " has no valid slot");
        }
        return new TermFile(path, ch, bestTerm, Math.max(bestSeq, 0));
    }

    private static boolean isAllZero(FileChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(2 * SLOT);
        ByteSource.of(ch).readFully(b, 0);
        for (int i = 0; i < b.capacity(); i++) {
            if (b.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    long term() {
        return term;
    }

    /** Records {@code newTerm} durably (fdatasync) in the slot not holding the current value. */
    void write(long newTerm) throws IOException {
        long seq = sequence + 1;
        ByteBuffer b = ByteBuffer.allocate(SLOT);
        b.putLong(newTerm).putLong(seq);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, 16);
        b.putInt((int) crc.getValue());
        b.clear();
        long at = (seq % 2) * SLOT;
        while (b.hasRemaining()) {
            at += channel.write(b, at);
        }
        channel.force(false);
        term = newTerm;
        sequence = seq;
    }

    Path path() {
        return path;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
