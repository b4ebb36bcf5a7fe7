package io.tidelog.meta;

import java.util.List;
import java.util.Optional;

/**
 * The outcome of {@link MetaStore#txn}.
 *
 * @param succeeded whether every comparison held (so the success branch ran, else the failure branch)
 * @param revision  the revision of the transaction's writes if the branch that ran wrote anything
 *                  (all its writes share it); otherwise the store revision the transaction read at
 * @param gets      one entry per {@link Op.Get} of the branch that ran, in order; empty for an absent key
 */
public record TxnResult(boolean succeeded, long revision, List<Optional<KeyValue>> gets) {
    public TxnResult {
        gets = List.copyOf(gets);
    }
}
