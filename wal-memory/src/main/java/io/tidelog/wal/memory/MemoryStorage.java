package io.tidelog.wal.memory;

import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.zip.CRC32C;

/**
 * What a simulated machine keeps across a simulated crash: for each pchannel its durable records and
 * its durable term. Everything a {@link MemoryWalBackend} holds outside this object (pending appends)
 * is lost by {@link MemoryWalBackend#crash()}.
 */
public final class MemoryStorage {
    private static final ConcurrentMap<String, MemoryStorage> NAMED = new ConcurrentHashMap<>();

    private final ConcurrentMap<String, Channel> channels = new ConcurrentHashMap<>();

    /** The storage registered under {@code name} in this JVM, created on first use. */
    public static MemoryStorage named(String name) {
        return NAMED.computeIfAbsent(name, n -> new MemoryStorage());
    }

    Channel channel(String pchannel) {
        return channels.computeIfAbsent(pchannel, p -> new Channel(p));
    }

    /** Flips one bit of the stored payload of a record, so that reads of it fail their checksum. */
    public void corrupt(String pchannel, MessageId id) {
        Channel c = channel(pchannel);
        synchronized (c) {
            Entry e = c.entry(id.minor());
            if (e == null) {
                throw StreamingException.invalidArgument("no durable record " + id + " in " + pchannel);
            }
            if (e.data.length == 0) {
                throw StreamingException.invalidArgument("record " + id + " has no payload byte to damage");
            }
            e.data[e.data.length / 2] ^= 0x10;
        }
    }

    static int crc(byte[] data) {
        CRC32C c = new CRC32C();
        c.update(data);
        return (int) c.getValue();
    }

    /** A durable record: its bytes and the checksum taken when it was appended. */
    static final class Entry {
        final byte[] data;
        final int crc;

        Entry(byte[] data) {
            this.data = data;
            this.crc = crc(data);
        }
    }

    /**
     * One pchannel's durable state; every field is guarded by the object's monitor, which scanners
     * also wait on for new records.
     */
    static final class Channel {
        final String name;
        long term;
        /** Set by the first read-write open; never cleared. */
        boolean claimed;
        /** The live writer of {@link #term}, or null once it closed or its backend crashed. */
        Object writer;
        long baseOffset;
        final List<Entry> entries = new ArrayList<>();

        Channel(String name) {
            this.name = name;
        }

        long endOffset() {
            return baseOffset + entries.size();
        }

        Entry entry(long offset) {
            if (offset < baseOffset || offset >= endOffset()) {
                return null;
            }
            return entries.get((int) (offset - baseOffset));
        }
    }
}
