package io.tidelog.query;

/**
 * The best {@code k} rows seen so far, by rank key (smaller is better, see {@link Metric#rankKey}) and then by
 * primary key ascending: a binary heap in two primitive arrays whose root is the worst row kept, so a row that
 * cannot enter costs one comparison with {@link #worstKey()}. Single-threaded.
 */
final class TopKHeap {
    /** Compares the primary keys of two rows of the segment. */
    interface KeyOrder {
        int compare(int rowA, int rowB);
    }

    private final float[] keys;
    private final int[] rows;
    private final KeyOrder order;
    private int size;

    TopKHeap(int k, KeyOrder order) {
        this.keys = new float[k];
        this.rows = new int[k];
        this.order = order;
    }

    boolean isFull() {
        return size == keys.length;
    }

    /** The rank key of the worst row kept; meaningful when {@link #isFull()}. */
    float worstKey() {
        return keys[0];
    }

    /** Offers a row; it enters if the heap has room or it is better than the worst row kept. */
    void offer(float key, int row) {
        if (size < keys.length) {
            int i = size++;
            keys[i] = key;
            rows[i] = row;
            siftUp(i);
        } else if (worse(keys[0], rows[0], key, row)) {
            keys[0] = key;
            rows[0] = row;
            siftDown(0);
        }
    }

    /** Whether (ka, ra) ranks after (kb, rb). */
    private boolean worse(float ka, int ra, float kb, int rb) {
        if (ka != kb) {
            return ka > kb;
        }
        return order.compare(ra, rb) > 0;
    }

    private void siftUp(int i) {
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (!worse(keys[i], rows[i], keys[parent], rows[parent])) {
                return;
            }
            swap(i, parent);
            i = parent;
        }
    }

    private void siftDown(int i) {
        while (true) {
            int l = 2 * i + 1;
            if (l >= size) {
                return;
            }
            int worst = l;
            int r = l + 1;
            if (r < size && worse(keys[r], rows[r], keys[l], rows[l])) {
                worst = r;
            }
            if (!worse(keys[worst], rows[worst], keys[i], rows[i])) {
                return;
            }
            swap(i, worst);
            i = worst;
        }
    }

    private void swap(int a, int b) {
        float k = keys[a];
        keys[a] = keys[b];
        keys[b] = k;
        int r = rows[a];
        rows[a] = rows[b];
        rows[b] = r;
    }

    /** Empties the heap into {@code keysOut}/{@code rowsOut} from best to worst; returns how many. */
    int drainBestFirst(float[] keysOut, int[] rowsOut) {
        int n = size;
        for (int i = n - 1; i >= 0; i--) {
            keysOut[i] = keys[0];
            rowsOut[i] = rows[0];
            size--;
            if (size > 0) {
                keys[0] = keys[size];
                rows[0] = rows[size];
                siftDown(0);
            }
        }
        return n;
    }
}
