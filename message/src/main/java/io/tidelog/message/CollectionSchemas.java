package io.tidelog.message;

import io.tidelog.common.StreamingException;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.DataType;
import io.tidelog.proto.FieldSchema;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Checks on collection schemas (DESIGN.md section 5), for CreateCollection and AlterCollection.
 *
 * <p>A valid schema has at least one field; every field a non-empty name unique in the schema and a
 * known type; exactly one primary key, of type INT64 or VARCHAR and not nullable; every VARCHAR a
 * {@code max_length} in [1, {@value #MAX_VARCHAR_LENGTH}]; every FLOAT_VECTOR a {@code dim} in
 * [1, {@value #MAX_VECTOR_DIM}], not nullable; at most {@value #MAX_VECTOR_FIELDS} vector fields and
 * {@value #MAX_FIELDS} fields. Failures are {@code INVALID_ARGUMENT} naming the field.
 */
public final class CollectionSchemas {
    public static final int MAX_FIELDS = 256;
    public static final int MAX_VECTOR_FIELDS = 4;
    public static final int MAX_VARCHAR_LENGTH = 1 << 20;
    public static final int MAX_VECTOR_DIM = 32768;

    private CollectionSchemas() {
    }

    /**
     * Checks {@code schema}.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} naming the first problem found
     */
    public static void validate(CollectionSchema schema) {
        if (schema.getFieldsCount() == 0) {
            throw StreamingException.invalidArgument("a schema needs at least one field");
        }
        if (schema.getFieldsCount() > MAX_FIELDS) {
            throw StreamingException.invalidArgument("a schema has at most " + MAX_FIELDS + " fields, got "
                    + schema.getFieldsCount());
        }
        Set<String> names = new HashSet<>();
        int primaryKeys = 0;
        int vectors = 0;
        for (FieldSchema f : schema.getFieldsList()) {
            if (f.getName().isEmpty()) {
                throw StreamingException.invalidArgument("every field needs a name");
            }
            if (!names.add(f.getName())) {
                throw StreamingException.invalidArgument("field '" + f.getName() + "' appears twice");
            }
            checkField(f);
            if (f.getPrimaryKey()) {
                primaryKeys++;
            }
            if (f.getType() == DataType.FLOAT_VECTOR) {
                vectors++;
            }
        }
        if (primaryKeys != 1) {
            throw StreamingException.invalidArgument("a schema needs exactly one primary key field, got " + primaryKeys);
        }
        if (vectors > MAX_VECTOR_FIELDS) {
            throw StreamingException.invalidArgument("a schema has at most " + MAX_VECTOR_FIELDS
                    + " FLOAT_VECTOR fields, got " + vectors);
        }
    }

    private static void checkField(FieldSchema f) {
        String name = "field '" + f.getName() + "'";
        DataType t = f.getType();
        if (t == DataType.DATA_TYPE_UNSPECIFIED || t == DataType.UNRECOGNIZED) {
            throw StreamingException.invalidArgument(name + " has no known type");
        }
        if (f.getPrimaryKey()) {
            if (t != DataType.INT64 && t != DataType.VARCHAR) {
                throw StreamingException.invalidArgument(name + ": a primary key is INT64 or VARCHAR, not " + t);
            }
            if (f.getNullable()) {
                throw StreamingException.invalidArgument(name + ": a primary key cannot be nullable");
            }
        }
        if (t == DataType.VARCHAR && (f.getMaxLength() < 1 || f.getMaxLength() > MAX_VARCHAR_LENGTH)) {
            throw StreamingException.invalidArgument(name + ": a VARCHAR needs max_length in [1, "
                    + MAX_VARCHAR_LENGTH + "], got " + f.getMaxLength());
        }
        if (t == DataType.FLOAT_VECTOR) {
            if (f.getDim() < 1 || f.getDim() > MAX_VECTOR_DIM) {
                throw StreamingException.invalidArgument(name + ": a FLOAT_VECTOR needs dim in [1, "
                        + MAX_VECTOR_DIM + "], got " + f.getDim());
            }
            if (f.getNullable()) {
                throw StreamingException.invalidArgument(name + ": a FLOAT_VECTOR cannot be nullable");
            }
        }
    }

    /**
     * Checks that {@code next} may replace {@code current} (AlterCollection): valid, with a greater
     * version, keeping every field of {@code current} unchanged (same name, type, key, nullability,
     * length, dimension, id) and adding only nullable fields, so rows written under the old schema
     * still read under the new one.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} naming the field or the versions
     */
    public static void validateChange(CollectionSchema current, CollectionSchema next) {
        validate(next);
        if (next.getVersion() <= current.getVersion()) {
            throw StreamingException.invalidArgument("the new schema version " + next.getVersion()
                    + " must be greater than the current version " + current.getVersion());
        }
        Map<String, FieldSchema> after = new HashMap<>();
        for (FieldSchema f : next.getFieldsList()) {
            after.put(f.getName(), f);
        }
        for (FieldSchema f : current.getFieldsList()) {
            FieldSchema g = after.remove(f.getName());
            if (g == null) {
                throw StreamingException.invalidArgument("field '" + f.getName() + "' cannot be removed");
            }
            if (!g.equals(f)) {
                throw StreamingException.invalidArgument("field '" + f.getName() + "' cannot be changed");
            }
        }
        for (FieldSchema added : after.values()) {
            if (!added.getNullable()) {
                throw StreamingException.invalidArgument("field '" + added.getName()
                        + "' is added, so it must be nullable (rows written before have no value)");
            }
        }
    }

    /** The primary key field of a {@link #validate valid} schema. */
    public static FieldSchema primaryKey(CollectionSchema schema) {
        for (FieldSchema f : schema.getFieldsList()) {
            if (f.getPrimaryKey()) {
                return f;
            }
        }
        throw StreamingException.invalidArgument("the schema has no primary key field");
    }
}
