package io.tidelog.query;

import java.util.List;

/**
 * The syntax tree of a filter expression, as parsed and before any schema is consulted: {@link FilterSyntax}
 * builds it, {@link FilterBinder} checks it against a schema and compiles it. Every node that can be wrong
 * for a schema carries the {@link Position} of its first token.
 */
sealed interface Expr {

    /** {@code a or b or ...}: at least two terms. */
    record Or(List<Expr> terms) implements Expr {
    }

    /** {@code a and b and ...}: at least two terms. */
    record And(List<Expr> terms) implements Expr {
    }

    /** {@code not a} (a chain of an even number of nots is no node at all). */
    record Not(Expr term) implements Expr {
    }

    /** {@code left op right}: which side is the field is up to the binder. */
    record Comparison(Operand left, CompareOp op, Operand right) implements Expr {
    }

    /** {@code low lowOp middle highOp high}, both operators less-than or both greater-than. */
    record Range(Operand low, CompareOp lowOp, Operand middle, CompareOp highOp, Operand high) implements Expr {
    }

    /** {@code operand [not] in [values]}. */
    record In(Operand operand, List<Literal> values, boolean negated) implements Expr {
    }

    /** {@code operand [not] like "pattern"}; {@code pattern} is the string literal's value (escapes decoded). */
    record Like(Operand operand, String pattern, boolean negated, Position patternAt) implements Expr {
    }

    /** {@code operand is [not] null}. */
    record IsNull(Operand operand, boolean negated) implements Expr {
    }

    /** An operand standing alone as a condition (a BOOL field). */
    record Bare(Operand operand) implements Expr {
    }

    /** One side of a predicate: a field (possibly with a JSON path) or a literal. */
    sealed interface Operand {
        Position at();
    }

    /** A field, with the JSON path after it ({@code meta["a"][0]}); an empty path names the field itself. */
    record FieldRef(String name, List<PathStep> path, Position at) implements Operand {
        /** The field and path as written, with keys in double quotes. */
        String display() {
            StringBuilder b = new StringBuilder(name);
            for (PathStep step : path) {
                b.append('[').append(step).append(']');
            }
            return b.toString();
        }
    }

    /** One step of a JSON path: an object member or an array element. */
    sealed interface PathStep {
    }

    record Key(String name) implements PathStep {
        @Override
        public String toString() {
            return '"' + name + '"';
        }
    }

    record Index(int index) implements PathStep {
        @Override
        public String toString() {
            return Integer.toString(index);
        }
    }

    /** A constant. */
    sealed interface Literal extends Operand {
        /** How error messages name the literal's kind ("an integer literal"). */
        String kind();
    }

    /** An integer literal, sign included, within the INT64 range. */
    record IntLiteral(long value, Position at) implements Literal {
        @Override
        public String kind() {
            return "an integer literal";
        }
    }

    /**
     * A literal with a fraction or an exponent; {@code value} is the double nearest to its decimal text (finite:
     * a literal beyond the DOUBLE range is refused), {@code text} that text with its sign.
     */
    record FloatLiteral(double value, String text, Position at) implements Literal {
        @Override
        public String kind() {
            return "a float literal";
        }
    }

    record StringLiteral(String value, Position at) implements Literal {
        @Override
        public String kind() {
            return "a string literal";
        }
    }

    record BoolLiteral(boolean value, Position at) implements Literal {
        @Override
        public String kind() {
            return "a boolean literal";
        }
    }
}
