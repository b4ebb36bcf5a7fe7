package io.tidelog.node.recovery;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.meta.Compare;
import io.tidelog.meta.KeyValue;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.Op;
import io.tidelog.state.proto.RecoveryPointerProto;
import io.tidelog.state.proto.RecoverySnapshotProto;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The recovery storage of a node's pchannels in the meta store.
 *
 * <pre>
 *   recovery/&lt;pchannel&gt;/term                         the newest term that claimed the pchannel (8 bytes)
 *   recovery/&lt;pchannel&gt;/snapshot/&lt;seq&gt;/&lt;chunk&gt;     a snapshot, in chunks of at most {@link #CHUNK_BYTES}
 *   recovery/&lt;pchannel&gt;/pointer                      which snapshot is current, and the checkpoint (written last)
 * </pre>
 *
 * <p><b>Fencing.</b> Every write is a meta store transaction that first compares the term key with the
 * writer's term: once a newer term claimed the pchannel, the older owner's writes fail with
 * {@code CHANNEL_FENCED} and change nothing.
 *
 * <p><b>Atomicity.</b> A snapshot larger than one request is written as chunks under a fresh sequence
 * number, then the pointer naming that sequence, its length and CRC32C; only then are the chunks of the
 * previous sequence deleted. A crash anywhere leaves a pointer to a whole snapshot; chunks that no pointer
 * names are removed by the next {@link #claim}.
 *
 * <p><b>Threads.</b> Safe for concurrent use on different pchannels; one writer per pchannel (its WAL's
 * checkpointing thread).
 */
public final class MetaRecoveryStore implements RecoveryStore {
    private static final Logger LOG = LoggerFactory.getLogger(MetaRecoveryStore.class);
    /** Well below the meta store's request limit, leaving room for the key and the comparison. */
    static final int CHUNK_BYTES = 512 * 1024;
    private static final String ROOT = "recovery/";

    private final MetaStore meta;

    public MetaRecoveryStore(MetaStore meta) {
        this.meta = meta;
    }

    static String termKey(String pchannel) {
        return ROOT + pchannel + "/term";
    }

    static String pointerKey(String pchannel) {
        return ROOT + pchannel + "/pointer";
    }

    static String snapshotPrefix(String pchannel) {
        return ROOT + pchannel + "/snapshot/";
    }

    static String sequencePrefix(String pchannel, long sequence) {
        return snapshotPrefix(pchannel) + String.format("%020d", sequence) + "/";
    }

    private static String chunkKey(String pchannel, long sequence, int chunk) {
        return sequencePrefix(pchannel, sequence) + String.format("%06d", chunk);
    }

    private static byte[] termBytes(long term) {
        return ByteBuffer.allocate(Long.BYTES).putLong(term).array();
    }

    private static long termOf(KeyValue kv) {
        byte[] v = kv.value();
        if (v.length != Long.BYTES) {
            throw new StreamingException(ErrorCode.DATA_CORRUPTED, kv.key() + " holds " + v.length + " bytes, not a term");
        }
        return ByteBuffer.wrap(v).getLong();
    }

    @Override
    public void claim(String pchannel, long term) {
        String key = termKey(pchannel);
        while (true) {
            Optional<KeyValue> current = meta.get(key);
            if (current.isPresent()) {
                long claimed = termOf(current.get());
                if (claimed > term) {
                    throw StreamingException.fenced("pchannel " + pchannel + ": its recovery state belongs to term "
                            + claimed + ", newer than " + term);
                }
                if (claimed == term) {
                    break;
                }
            }
            Compare unchanged = current.isPresent()
                    ? Compare.modRevision(key, Compare.Result.EQUAL, current.get().modRevision())
                    : Compare.absent(key);
            if (meta.txn(List.of(unchanged), List.of(Op.put(key, termBytes(term))), List.of()).succeeded()) {
                break;
            }
        }
        removeUnreferencedChunks(pchannel, term);
    }

    private void removeUnreferencedChunks(String pchannel, long term) {
        Optional<RecoveryPointerProto> pointer = pointer(pchannel);
        String keep = pointer.map(p -> sequencePrefix(pchannel, p.getSequence())).orElse(null);
        String prefix = snapshotPrefix(pchannel);
        List<KeyValue> chunks = meta.scan(prefix);
        for (KeyValue kv : chunks) {
            if (keep == null || !kv.key().startsWith(keep)) {
                guarded(pchannel, term, Op.delete(kv.key()));
            }
        }
    }

    private Optional<RecoveryPointerProto> pointer(String pchannel) {
        Optional<KeyValue> kv = meta.get(pointerKey(pchannel));
        if (kv.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(RecoveryPointerProto.parseFrom(kv.get().value()));
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new StreamingException(ErrorCode.DATA_CORRUPTED, "pchannel " + pchannel
                    + ": the recovery pointer cannot be read", e);
        }
    }

    /** The checkpoint last saved for {@code pchannel}, or empty. */
    public Optional<Checkpoint> checkpoint(String pchannel) {
        return pointer(pchannel).map(p -> Checkpoint.fromProto(p.getCheckpoint()));
    }

    @Override
    public Optional<RecoverySnapshotProto> load(String pchannel) {
        Optional<RecoveryPointerProto> pointer = pointer(pchannel);
        if (pointer.isEmpty()) {
            return Optional.empty();
        }
        RecoveryPointerProto p = pointer.get();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream((int) Math.min(p.getBytes(), Integer.MAX_VALUE));
        for (int i = 0; i < p.getChunks(); i++) {
            String key = chunkKey(pchannel, p.getSequence(), i);
            KeyValue kv = meta.get(key).orElseThrow(() -> new StreamingException(ErrorCode.DATA_CORRUPTED,
                    "pchannel " + pchannel + ": snapshot chunk " + key + " named by the recovery pointer is missing"));
            bytes.writeBytes(kv.value());
        }
        byte[] all = bytes.toByteArray();
        CRC32C crc = new CRC32C();
        crc.update(all);
        if (all.length != p.getBytes() || (int) crc.getValue() != p.getCrc32C()) {
            throw new StreamingException(ErrorCode.DATA_CORRUPTED, "pchannel " + pchannel + ": snapshot "
                    + p.getSequence() + " has " + all.length + " bytes with CRC32C " + Integer.toHexString((int) crc.getValue())
                    + ", its pointer says " + p.getBytes() + " bytes with " + Integer.toHexString(p.getCrc32C()));
        }
        try {
            return Optional.of(RecoverySnapshotProto.parseFrom(all));
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new StreamingException(ErrorCode.DATA_CORRUPTED, "pchannel " + pchannel + ": snapshot "
                    + p.getSequence() + " cannot be decoded", e);
        }
    }

    @Override
    public void save(String pchannel, long term, RecoverySnapshotProto snapshot, Checkpoint checkpoint) {
        Optional<RecoveryPointerProto> previous = pointer(pchannel);
        long sequence = previous.map(p -> p.getSequence() + 1).orElse(1L);
        byte[] all = snapshot.toByteArray();
        int chunks = Math.max(1, (all.length + CHUNK_BYTES - 1) / CHUNK_BYTES);
        for (int i = 0; i < chunks; i++) {
            byte[] chunk = Arrays.copyOfRange(all, i * CHUNK_BYTES, Math.min(all.length, (i + 1) * CHUNK_BYTES));
            guarded(pchannel, term, Op.put(chunkKey(pchannel, sequence, i), chunk));
        }
        CRC32C crc = new CRC32C();
        crc.update(all);
        RecoveryPointerProto pointer = RecoveryPointerProto.newBuilder().setTerm(term).setSequence(sequence)
                .setChunks(chunks).setBytes(all.length).setCheckpoint(checkpoint.toProto())
                .setCrc32C((int) crc.getValue()).build();
        guarded(pchannel, term, Op.put(pointerKey(pchannel), pointer.toByteArray()));
        if (previous.isPresent()) {
            for (KeyValue kv : meta.scan(sequencePrefix(pchannel, previous.get().getSequence()))) {
                try {
                    guarded(pchannel, term, Op.delete(kv.key()));
                } catch (StreamingException e) {
                    LOG.debug("pchannel {}: old snapshot chunk {} left for the next claim: {}", pchannel, kv.key(), e.getMessage());
                }
            }
        }
    }

    /** Applies {@code op} only while {@code term} owns the pchannel. */
    private void guarded(String pchannel, long term, Op op) {
        Compare owner = Compare.value(termKey(pchannel), Compare.Result.EQUAL, termBytes(term));
        if (!meta.txn(List.of(owner), List.of(op), List.of()).succeeded()) {
            throw StreamingException.fenced("pchannel " + pchannel + ": term " + term
                    + " no longer owns its recovery state");
        }
    }
}
