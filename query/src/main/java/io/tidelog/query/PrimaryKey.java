package io.tidelog.query;

/**
 * A row's primary key, as search results carry it. Keys order as ties are broken: INT64 numerically, VARCHAR by
 * code point ({@link Utf8Order}, the order of their UTF-8 bytes). A collection's keys are all of one kind.
 */
public sealed interface PrimaryKey extends Comparable<PrimaryKey> {

    record Int64(long value) implements PrimaryKey {
        @Override
        public int compareTo(PrimaryKey o) {
            return o instanceof Int64 i ? Long.compare(value, i.value) : -1;
        }

        @Override
        public String toString() {
            return Long.toString(value);
        }
    }

    record Varchar(String value) implements PrimaryKey {
        @Override
        public int compareTo(PrimaryKey o) {
            return o instanceof Varchar v ? Utf8Order.compare(value, v.value) : 1;
        }

        @Override
        public String toString() {
            return value;
        }
    }
}
