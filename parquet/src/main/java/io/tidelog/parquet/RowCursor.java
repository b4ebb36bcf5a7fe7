package io.tidelog.parquet;

/**
 * The "record" parquet-java's writer passes to a write support: the index of a row of the bound batch,
 * one mutable instance reused for every row so that no row object is made.
 */
final class RowCursor {
    private int row;

    RowCursor at(int row) {
        this.row = row;
        return this;
    }

    int row() {
        return row;
    }
}
