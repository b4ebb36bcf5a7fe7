package io.tidelog.meta.embedded;

import io.tidelog.meta.MetaKeys;
import org.h2.mvstore.type.StringDataType;

/**
 * MVStore key type for meta keys: stored like {@link StringDataType} but ordered by code point
 * ({@link MetaKeys#compare}), the order of the SPI and of etcd. Not persisted in the file: the store
 * must always open its key maps with this type.
 */
final class CodePointKeyType extends StringDataType {
    static final CodePointKeyType INSTANCE = new CodePointKeyType();

    private CodePointKeyType() {
    }

    @Override
    public int compare(String a, String b) {
        return MetaKeys.compare(a, b);
    }

    @Override
    public int binarySearch(String key, Object storageObj, int size, int initialGuess) {
        String[] storage = cast(storageObj);
        int low = 0;
        int high = size - 1;
        int x = initialGuess - 1;
        if (x < 0 || x > high) {
            x = high >>> 1;
        }
        while (low <= high) {
            int c = MetaKeys.compare(key, storage[x]);
            if (c > 0) {
                low = x + 1;
            } else if (c < 0) {
                high = x - 1;
            } else {
                return x;
            }
            x = (low + high) >>> 1;
        }
        return ~low;
    }
}
