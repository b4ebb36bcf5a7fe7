package io.tidelog.query;

import io.tidelog.common.StreamingException;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.DataType;
import io.tidelog.proto.FieldSchema;
import io.tidelog.query.Expr.FieldRef;
import io.tidelog.query.Expr.Literal;
import io.tidelog.query.Expr.Operand;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a syntax tree against a collection schema and compiles it into {@link Node}s. Every refusal is
 * {@code INVALID_ARGUMENT} with a message of the form {@code field 'price' (DOUBLE) at 1:14: <what is wrong>}
 * (or, where no field is involved, {@code <what is wrong> at 1:14}).
 *
 * <p>A comparison takes one field (or JSON path) and one literal, in either order; {@code 3 < x} is compiled as
 * {@code x > 3}. Which arithmetic a numeric comparison uses is decided here (see the package documentation).
 */
final class FilterBinder {
    private final Map<String, FieldSchema> fields = new HashMap<>();
    /** The fields the filter reads, with their types: checked against each view it runs on. */
    private final Map<String, DataType> used = new LinkedHashMap<>();

    private FilterBinder(CollectionSchema schema) {
        for (FieldSchema f : schema.getFieldsList()) {
            fields.put(f.getName(), f);
        }
    }

    /** The compiled filter, and the fields it reads. */
    record Bound(Node root, Map<String, DataType> fields) {
    }

    static Bound bind(Expr expr, CollectionSchema schema) {
        FilterBinder binder = new FilterBinder(schema);
        Node root = binder.node(expr);
        return new Bound(root, Map.copyOf(binder.used));
    }

    private Node node(Expr expr) {
        if (expr instanceof Expr.Or or) {
            return new Logic.Or(or.terms().stream().map(this::node).toArray(Node[]::new));
        }
        if (expr instanceof Expr.And and) {
            return new Logic.And(and.terms().stream().map(this::node).toArray(Node[]::new));
        }
        if (expr instanceof Expr.Not not) {
            return new Logic.Not(node(not.term()));
        }
        if (expr instanceof Expr.Comparison c) {
            return comparison(c.left(), c.op(), c.right());
        }
        if (expr instanceof Expr.Range r) {
            return new Logic.And(new Node[] {
                comparison(r.low(), r.lowOp(), r.middle()), comparison(r.middle(), r.highOp(), r.high())});
        }
        if (expr instanceof Expr.In in) {
            return in(in);
        }
        if (expr instanceof Expr.Like like) {
            return like(like);
        }
        if (expr instanceof Expr.IsNull isNull) {
            return isNull(isNull);
        }
        return bare((Expr.Bare) expr);
    }

    private Node comparison(Operand left, CompareOp op, Operand right) {
        if (left instanceof FieldRef && right instanceof FieldRef f) {
            throw error(f, "comparing a field with another field is not supported; compare with a literal");
        }
        if (left instanceof Literal && right instanceof Literal l) {
            throw FilterSyntax.error(l.at(), "a comparison needs a field on one side");
        }
        if (left instanceof Literal l) {
            return compare((FieldRef) right, op.flip(), l);
        }
        return compare((FieldRef) left, op, (Literal) right);
    }

    private Node compare(FieldRef ref, CompareOp op, Literal literal) {
        FieldSchema f = resolve(ref);
        if (!ref.path().isEmpty()) {
            Object value = jsonLiteral(ref, literal);
            if (value instanceof Boolean && op.isOrdering()) {
                throw error(ref, "booleans support only == and !=, not " + op.symbol());
            }
            return new JsonPredicate(f.getName(), ref.path(), JsonPredicate.compare(op, value),
                    JsonPredicate.Truth.UNKNOWN);
        }
        return switch (f.getType()) {
            case INT32, INT64, FLOAT, DOUBLE -> numeric(ref, f, op, literal);
            case BOOL -> {
                if (!(literal instanceof Expr.BoolLiteral b)) {
                    throw mismatch(ref, f, literal);
                }
                if (op.isOrdering()) {
                    throw error(ref, "BOOL supports only == and !=, not " + op.symbol());
                }
                yield new OtherPredicates.BoolEquals(f.getName(), b.value(), op == CompareOp.NE);
            }
            case VARCHAR -> {
                if (!(literal instanceof Expr.StringLiteral s)) {
                    throw mismatch(ref, f, literal);
                }
                yield new OtherPredicates.VarcharCompare(f.getName(), op, s.value());
            }
            case JSON -> throw error(ref, "a JSON field is compared through a path, as in "
                    + f.getName() + "[\"key\"]");
            default -> throw notFilterable(ref, f);
        };
    }

    private Node numeric(FieldRef ref, FieldSchema f, CompareOp op, Literal literal) {
        boolean integerField = f.getType() == DataType.INT32 || f.getType() == DataType.INT64;
        if (literal instanceof Expr.IntLiteral i) {
            return integerField ? new NumericPredicates.LongCompare(f.getName(), op, i.value())
                    : new NumericPredicates.DoubleCompare(f.getName(), op, (double) i.value());
        }
        if (literal instanceof Expr.FloatLiteral d) {
            return new NumericPredicates.DoubleCompare(f.getName(), op, d.value());
        }
        throw mismatch(ref, f, literal);
    }

    private Node in(Expr.In in) {
        if (!(in.operand() instanceof FieldRef ref)) {
            throw FilterSyntax.error(in.operand().at(), "in needs a field on its left");
        }
        FieldSchema f = resolve(ref);
        if (in.values().isEmpty()) {
            return new Logic.Constant(in.negated());
        }
        if (!ref.path().isEmpty()) {
            List<Object> values = new ArrayList<>();
            for (Literal l : in.values()) {
                values.add(jsonLiteral(ref, l));
            }
            return new JsonPredicate(f.getName(), ref.path(), JsonPredicate.in(values, in.negated()),
                    JsonPredicate.Truth.UNKNOWN);
        }
        String name = f.getName();
        switch (f.getType()) {
            case INT32, INT64, FLOAT, DOUBLE -> {
                return numericIn(ref, f, in);
            }
            case BOOL -> {
                Set<Boolean> values = new HashSet<>();
                for (Literal l : in.values()) {
                    if (!(l instanceof Expr.BoolLiteral b)) {
                        throw mismatch(ref, f, l);
                    }
                    values.add(b.value());
                }
                return values.size() == 2 ? new OtherPredicates.AnyValue(name, in.negated())
                        : new OtherPredicates.BoolEquals(name, values.iterator().next(), in.negated());
            }
            case VARCHAR -> {
                Set<String> values = new HashSet<>();
                for (Literal l : in.values()) {
                    if (!(l instanceof Expr.StringLiteral s)) {
                        throw mismatch(ref, f, l);
                    }
                    values.add(s.value());
                }
                return new OtherPredicates.VarcharIn(name, values, in.negated());
            }
            case JSON -> throw error(ref, "a JSON field is tested through a path, as in " + name + "[\"key\"]");
            default -> throw notFilterable(ref, f);
        }
    }

    /**
     * A numeric field in a list: integer literals against an integer field compare as integers, everything else
     * as doubles, so a list mixing both is the disjunction of two sets.
     */
    private Node numericIn(FieldRef ref, FieldSchema f, Expr.In in) {
        boolean integerField = f.getType() == DataType.INT32 || f.getType() == DataType.INT64;
        List<Long> longs = new ArrayList<>();
        List<Double> doubles = new ArrayList<>();
        for (Literal l : in.values()) {
            if (l instanceof Expr.IntLiteral i && integerField) {
                longs.add(i.value());
            } else if (l instanceof Expr.IntLiteral i) {
                doubles.add((double) i.value());
            } else if (l instanceof Expr.FloatLiteral d) {
                doubles.add(d.value());
            } else {
                throw mismatch(ref, f, l);
            }
        }
        Node asLongs = longs.isEmpty() ? null : new NumericPredicates.LongIn(f.getName(),
                longs.stream().mapToLong(Long::longValue).toArray(), false);
        Node asDoubles = doubles.isEmpty() ? null : new NumericPredicates.DoubleIn(f.getName(),
                doubles.stream().mapToDouble(Double::doubleValue).toArray(), false);
        Node either = asLongs == null ? asDoubles : asDoubles == null ? asLongs
                : new Logic.Or(new Node[] {asLongs, asDoubles});
        return in.negated() ? new Logic.Not(either) : either;
    }

    private Node like(Expr.Like like) {
        if (!(like.operand() instanceof FieldRef ref)) {
            throw FilterSyntax.error(like.operand().at(), "like needs a field on its left");
        }
        FieldSchema f = resolve(ref);
        LikePattern pattern = LikePattern.compile(like.pattern());
        if (pattern == null) {
            throw FilterSyntax.error(like.patternAt(), "a like pattern cannot end with a lone backslash (escape it)");
        }
        if (!ref.path().isEmpty()) {
            return new JsonPredicate(f.getName(), ref.path(), JsonPredicate.like(pattern, like.negated()),
                    JsonPredicate.Truth.UNKNOWN);
        }
        if (f.getType() != DataType.VARCHAR) {
            throw error(ref, "like needs a VARCHAR field or a JSON path");
        }
        return new OtherPredicates.VarcharLike(f.getName(), pattern, like.negated());
    }

    private Node isNull(Expr.IsNull isNull) {
        if (!(isNull.operand() instanceof FieldRef ref)) {
            throw FilterSyntax.error(isNull.operand().at(), "is null needs a field on its left");
        }
        FieldSchema f = resolve(ref);
        if (!ref.path().isEmpty()) {
            return new JsonPredicate(f.getName(), ref.path(), JsonPredicate.isNull(isNull.negated()),
                    isNull.negated() ? JsonPredicate.Truth.FALSE : JsonPredicate.Truth.TRUE);
        }
        if (f.getType() == DataType.FLOAT_VECTOR) {
            throw notFilterable(ref, f);
        }
        return new OtherPredicates.IsNull(f.getName(), isNull.negated());
    }

    private Node bare(Expr.Bare bare) {
        if (!(bare.operand() instanceof FieldRef ref)) {
            throw FilterSyntax.error(bare.operand().at(), "a literal alone is not a condition");
        }
        FieldSchema f = resolve(ref);
        if (!ref.path().isEmpty() || f.getType() != DataType.BOOL) {
            throw error(ref, "only a BOOL field is a condition on its own; compare it with a value");
        }
        return new OtherPredicates.BoolEquals(f.getName(), true, false);
    }

    /** The field of {@code ref}, which must exist and, with a path, be JSON. */
    private FieldSchema resolve(FieldRef ref) {
        FieldSchema f = fields.get(ref.name());
        if (f == null) {
            throw FilterSyntax.error(ref.at(), "field '" + ref.name() + "' is not in the schema");
        }
        if (!ref.path().isEmpty() && f.getType() != DataType.JSON) {
            throw error(ref, "a path like " + ref.display() + " needs a JSON field");
        }
        if (f.getType() == DataType.FLOAT_VECTOR) {
            throw notFilterable(ref, f);
        }
        used.put(f.getName(), f.getType());
        return f;
    }

    /** A literal compared with a JSON value: a number as a {@link Double}, a string, a boolean. */
    private static Object jsonLiteral(FieldRef ref, Literal l) {
        if (l instanceof Expr.IntLiteral i) {
            return (double) i.value();
        }
        if (l instanceof Expr.FloatLiteral d) {
            return d.value();
        }
        if (l instanceof Expr.StringLiteral s) {
            return s.value();
        }
        return ((Expr.BoolLiteral) l).value();
    }

    private StreamingException mismatch(FieldRef ref, FieldSchema f, Literal literal) {
        return error(ref, "a " + f.getType() + " cannot be compared with " + literal.kind() + " (at "
                + literal.at() + ")");
    }

    private StreamingException notFilterable(FieldRef ref, FieldSchema f) {
        return error(ref, "a " + f.getType() + " field cannot be used in a filter");
    }

    private StreamingException error(FieldRef ref, String what) {
        FieldSchema f = fields.get(ref.name());
        String type = f == null ? "" : " (" + f.getType() + ")";
        return StreamingException.invalidArgument("field '" + ref.display() + "'" + type + " at " + ref.at() + ": "
                + what);
    }
}
