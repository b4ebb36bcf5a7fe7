package io.tidelog.query;

/** The six comparison operators, as written in an expression. */
enum CompareOp {
    EQ("=="), NE("!="), LT("<"), LE("<="), GT(">"), GE(">=");

    private final String symbol;

    CompareOp(String symbol) {
        this.symbol = symbol;
    }

    String symbol() {
        return symbol;
    }

    /** The operator that gives the same answer with the operands swapped ({@code 3 < x} is {@code x > 3}). */
    CompareOp flip() {
        return switch (this) {
            case EQ, NE -> this;
            case LT -> GT;
            case LE -> GE;
            case GT -> LT;
            case GE -> LE;
        };
    }

    boolean isOrdering() {
        return this != EQ && this != NE;
    }

    boolean isLess() {
        return this == LT || this == LE;
    }

    boolean isGreater() {
        return this == GT || this == GE;
    }
}
