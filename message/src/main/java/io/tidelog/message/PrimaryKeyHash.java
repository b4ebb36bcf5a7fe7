package io.tidelog.message;

import io.tidelog.common.StreamingException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * How a row finds its shard: by a hash of its primary key, the same in every client and every release
 * (it decides which vchannel holds a key, so it is part of the data format).
 *
 * <ul>
 *   <li>INT64 key {@code k}: MurmurHash3 x86 32-bit, seed 0, of the 8 bytes of {@code k} in little-endian
 *       order;</li>
 *   <li>VARCHAR key {@code s}: CRC-32 (IEEE 802.3, as {@link CRC32}) of the UTF-8 bytes of {@code s};</li>
 *   <li>shard = the hash as an unsigned 32-bit number, modulo the shard count; vchannel = the collection's
 *       {@code vchannels[shard]}.</li>
 * </ul>
 * The same choice of functions as Milvus makes (murmur3 for integers, CRC-32 for strings).
 */
public final class PrimaryKeyHash {
    private PrimaryKeyHash() {
    }

    /** The hash of an INT64 primary key. */
    public static int hash(long key) {
        int h = mixBlock(0, (int) key);
        h = mixBlock(h, (int) (key >>> 32));
        return finish(h, 8);
    }

    /** The hash of a VARCHAR primary key. */
    public static int hash(String key) {
        CRC32 crc = new CRC32();
        crc.update(key.getBytes(StandardCharsets.UTF_8));
        return (int) crc.getValue();
    }

    /**
     * The shard of a primary key ({@link Long} or {@link String}) among {@code shards}.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} for another type of key or fewer than one shard
     */
    public static int shardOf(Object key, int shards) {
        if (shards < 1) {
            throw StreamingException.invalidArgument("a collection has at least one shard, got " + shards);
        }
        int h;
        if (key instanceof Long l) {
            h = hash(l);
        } else if (key instanceof String s) {
            h = hash(s);
        } else {
            throw StreamingException.invalidArgument("a primary key is a Long or a String, got "
                    + (key == null ? "null" : key.getClass().getSimpleName()));
        }
        return Integer.remainderUnsigned(h, shards);
    }

    private static int mixBlock(int h, int k) {
        k *= 0xcc9e2d51;
        k = Integer.rotateLeft(k, 15);
        k *= 0x1b873593;
        h ^= k;
        h = Integer.rotateLeft(h, 13);
        return h * 5 + 0xe6546b64;
    }

    private static int finish(int h, int length) {
        h ^= length;
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return h;
    }
}
