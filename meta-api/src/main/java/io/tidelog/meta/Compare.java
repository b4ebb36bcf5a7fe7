package io.tidelog.meta;

import io.tidelog.common.StreamingException;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * One condition of a {@link MetaStore#txn transaction}, as etcd's {@code Compare}: a field of one key
 * compared with a given operand.
 *
 * <p>A key that does not exist has version, create revision, mod revision and lease 0; a
 * {@link Target#VALUE} comparison on it is always false (etcd's rule). Values compare as unsigned bytes,
 * lexicographically.
 *
 * @param key     the key compared
 * @param target  the field compared
 * @param result  the relation that must hold: {@code field <result> operand}
 * @param number  the operand of a numeric target (unused for {@link Target#VALUE})
 * @param operand the operand of {@link Target#VALUE} (null for numeric targets); copied
 */
public record Compare(String key, Target target, Result result, long number, byte[] operand) {

    /** The field of the key that is compared. */
    public enum Target { VERSION, CREATE_REVISION, MOD_REVISION, VALUE, LEASE }

    /** The relation: {@code field <result> operand}. */
    public enum Result { EQUAL, NOT_EQUAL, LESS, GREATER }

    public Compare {
        MetaKeys.requireKey(key);
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(result, "result");
        if (target == Target.VALUE) {
            operand = MetaKeys.requireValue(key, operand).clone();
        } else if (operand != null) {
            throw StreamingException.invalidArgument("a comparison of " + target + " takes a number, not bytes");
        }
    }

    /** The key does not exist (version == 0). */
    public static Compare absent(String key) {
        return new Compare(key, Target.VERSION, Result.EQUAL, 0, null);
    }

    /** The key exists (version > 0). */
    public static Compare present(String key) {
        return new Compare(key, Target.VERSION, Result.GREATER, 0, null);
    }

    public static Compare version(String key, Result result, long version) {
        return new Compare(key, Target.VERSION, result, version, null);
    }

    public static Compare createRevision(String key, Result result, long revision) {
        return new Compare(key, Target.CREATE_REVISION, result, revision, null);
    }

    /** {@code modRevision(key, EQUAL, r)}: nobody wrote the key since revision {@code r} (0: it is absent). */
    public static Compare modRevision(String key, Result result, long revision) {
        return new Compare(key, Target.MOD_REVISION, result, revision, null);
    }

    public static Compare value(String key, Result result, byte[] value) {
        return new Compare(key, Target.VALUE, result, 0, value);
    }

    public static Compare lease(String key, Result result, long leaseId) {
        return new Compare(key, Target.LEASE, result, leaseId, null);
    }

    /** A copy of the value operand, or null for a numeric comparison. */
    @Override
    public byte[] operand() {
        return operand == null ? null : operand.clone();
    }

    /** Whether the comparison holds for the key's current state ({@code current} empty: the key is absent). */
    public boolean holdsFor(Optional<KeyValue> current) {
        int c;
        if (target == Target.VALUE) {
            if (current.isEmpty()) {
                return false;
            }
            c = Arrays.compareUnsigned(current.get().value(), operand);
        } else {
            c = Long.compare(field(current), number);
        }
        switch (result) {
            case EQUAL:
                return c == 0;
            case NOT_EQUAL:
                return c != 0;
            case LESS:
                return c < 0;
            case GREATER:
                return c > 0;
            default:
                throw new IllegalStateException("unknown result " + result);
        }
    }

    private long field(Optional<KeyValue> current) {
        if (current.isEmpty()) {
            return 0;
        }
        KeyValue kv = current.get();
        switch (target) {
            case VERSION:
                return kv.version();
            case CREATE_REVISION:
                return kv.createRevision();
            case MOD_REVISION:
                return kv.modRevision();
            case LEASE:
                return kv.lease();
            default:
                throw new IllegalStateException("not a numeric target: " + target);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Compare c && key.equals(c.key) && target == c.target && result == c.result
                && number == c.number && Arrays.equals(operand, c.operand);
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, target, result, number, Arrays.hashCode(operand));
    }

    @Override
    public String toString() {
        return target + "(" + key + ") " + result + " "
                + (target == Target.VALUE ? operand.length + " bytes" : Long.toString(number));
    }
}
