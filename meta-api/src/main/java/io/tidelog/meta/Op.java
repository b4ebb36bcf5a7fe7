package io.tidelog.meta;

import java.util.Arrays;
import java.util.Objects;

/**
 * One operation of a {@link MetaStore#txn transaction} branch, as etcd's {@code RequestOp}: put,
 * delete, or get of one key. Within a branch, operations run in order and a get sees the branch's
 * earlier writes; a key may be written (put or delete) at most once per branch.
 */
public sealed interface Op permits Op.Put, Op.Delete, Op.Get {

    /** The key the operation addresses. */
    String key();

    static Put put(String key, byte[] value) {
        return new Put(key, value, MetaStore.NO_LEASE);
    }

    static Put put(String key, byte[] value, long leaseId) {
        return new Put(key, value, leaseId);
    }

    static Delete delete(String key) {
        return new Delete(key);
    }

    static Get get(String key) {
        return new Get(key);
    }

    /** Writes {@code value} to {@code key}, attached to {@code lease} ({@link MetaStore#NO_LEASE}: none). */
    record Put(String key, byte[] value, long lease) implements Op {
        public Put {
            MetaKeys.requireKey(key);
            value = MetaKeys.requireValue(key, value).clone();
            MetaKeys.requireLease(lease);
        }

        /** A copy of the value. */
        @Override
        public byte[] value() {
            return value.clone();
        }

        public int valueLength() {
            return value.length;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Put p && key.equals(p.key) && Arrays.equals(value, p.value) && lease == p.lease;
        }

        @Override
        public int hashCode() {
            return Objects.hash(key, Arrays.hashCode(value), lease);
        }

        @Override
        public String toString() {
            return "Put[" + key + ", " + value.length + " bytes" + (lease == 0 ? "" : ", lease=" + lease) + "]";
        }
    }

    /** Deletes {@code key} if it exists. */
    record Delete(String key) implements Op {
        public Delete {
            MetaKeys.requireKey(key);
        }
    }

    /** Reads {@code key}; its result is one entry of {@link TxnResult#gets()}. */
    record Get(String key) implements Op {
        public Get {
            MetaKeys.requireKey(key);
        }
    }
}
