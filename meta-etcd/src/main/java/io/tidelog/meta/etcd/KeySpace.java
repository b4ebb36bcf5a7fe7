package io.tidelog.meta.etcd;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.Event;
import io.tidelog.common.StreamingException;
import io.tidelog.meta.KeyValue;
import io.tidelog.meta.WatchEvent;
import java.nio.charset.StandardCharsets;

/**
 * The store's part of etcd's key space: every key of the store is its root followed by the key's UTF-8 bytes,
 * so etcd's byte order is the SPI's key order and a prefix of the store is a prefix in etcd. Converts keys and
 * etcd's key-values both ways. Immutable.
 */
final class KeySpace {
    private final String root;
    private final ByteString rootBytes;

    KeySpace(String root) {
        this.root = root;
        this.rootBytes = ByteString.copyFromUtf8(root);
    }

    String root() {
        return root;
    }

    /** etcd's key of {@code key}. */
    ByteString key(String key) {
        return rootBytes.concat(ByteString.copyFromUtf8(key));
    }

    /** The smallest etcd key above every key starting with {@code prefix} (etcd's {@code range_end} of a prefix). */
    ByteString rangeEnd(String prefix) {
        byte[] start = key(prefix).toByteArray();
        for (int i = start.length - 1; i >= 0; i--) {
            if (start[i] != (byte) 0xFF) {
                byte[] end = new byte[i + 1];
                System.arraycopy(start, 0, end, 0, i + 1);
                end[i]++;
                return ByteString.copyFrom(end);
            }
        }
        return ByteString.copyFrom(new byte[] {0}); // every byte 0xFF: up to the end of the key space
    }

    /** The key of the store that etcd's key {@code etcdKey} (under the root) stands for. */
    String storeKey(ByteString etcdKey) {
        if (!etcdKey.startsWith(rootBytes)) {
            throw StreamingException.corrupted("etcd returned the key " + etcdKey.toStringUtf8()
                    + ", which is not under the store's root " + root);
        }
        return etcdKey.substring(rootBytes.size()).toString(StandardCharsets.UTF_8);
    }

    KeyValue keyValue(io.etcd.jetcd.api.KeyValue kv) {
        return new KeyValue(storeKey(kv.getKey()), kv.getValue().toByteArray(), kv.getCreateRevision(),
                kv.getModRevision(), kv.getVersion(), kv.getLease());
    }

    /** etcd's event as the SPI gives it: a delete carries the key and the delete's revision only. */
    WatchEvent event(Event e) {
        if (e.getType() == Event.EventType.DELETE) {
            return new WatchEvent(WatchEvent.Type.DELETE,
                    KeyValue.deleted(storeKey(e.getKv().getKey()), e.getKv().getModRevision()));
        }
        return new WatchEvent(WatchEvent.Type.PUT, keyValue(e.getKv()));
    }
}
