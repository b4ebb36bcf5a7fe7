package io.tidelog.coord;

import io.tidelog.common.StreamingException;
import io.tidelog.message.CollectionSchemas;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.DataType;
import io.tidelog.proto.FieldSchema;

/**
 * What the catalog checks before it persists a DDL: the schema rules the nodes enforce
 * ({@link CollectionSchemas}: one INT64 or VARCHAR primary key, unique field names, VARCHAR lengths, at most a
 * few FLOAT_VECTOR fields with their dimensions, ...) and, on top of them, names and tidiness:
 * <ul>
 *   <li>collection, partition and field names have 1 to {@value #MAX_NAME_LENGTH} ASCII letters, digits and
 *       {@code _}, and do not start with a digit (they appear in commands, files and JSON keys);</li>
 *   <li>{@code maxLength} is set only on VARCHAR fields, {@code dim} only on FLOAT_VECTOR fields;</li>
 *   <li>a field added to an existing collection is nullable and not a primary key.</li>
 * </ul>
 * Every failure is {@code INVALID_ARGUMENT} naming the field (or the name) and the rule.
 */
final class CatalogRules {
    static final int MAX_NAME_LENGTH = 255;

    private CatalogRules() {
    }

    /** Checks a collection, partition or field name; {@code what} says which, for the message. */
    static void validateName(String what, String name) {
        if (name == null || name.isEmpty()) {
            throw StreamingException.invalidArgument("a " + what + " name must not be empty");
        }
        if (name.length() > MAX_NAME_LENGTH) {
            throw StreamingException.invalidArgument(what + " name '" + name.substring(0, 32) + "...' has "
                    + name.length() + " characters, at most " + MAX_NAME_LENGTH + " are allowed");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9';
            if (!ok) {
                throw StreamingException.invalidArgument(what + " name '" + name + "' may contain only ASCII letters,"
                        + " digits and '_' and may not start with a digit; found '" + c + "' at index " + i);
            }
        }
    }

    /** Checks the schema of a new collection. */
    static void validateSchema(CollectionSchema schema) {
        String primaryKey = null;
        int vectors = 0;
        for (FieldSchema f : schema.getFieldsList()) {
            validateTidy(f);
            if (f.getPrimaryKey()) {
                if (primaryKey != null) {
                    throw StreamingException.invalidArgument("field '" + f.getName() + "' is a second primary key (the"
                            + " first is '" + primaryKey + "'); a schema has exactly one");
                }
                primaryKey = f.getName();
            }
            if (f.getType() == DataType.FLOAT_VECTOR && ++vectors > CollectionSchemas.MAX_VECTOR_FIELDS) {
                throw StreamingException.invalidArgument("field '" + f.getName() + "' is FLOAT_VECTOR field number "
                        + vectors + "; a schema has at most " + CollectionSchemas.MAX_VECTOR_FIELDS);
            }
        }
        if (!schema.getFieldsList().isEmpty() && primaryKey == null) {
            throw StreamingException.invalidArgument("the schema has no primary key: mark one INT64 or VARCHAR field"
                    + " with \"primaryKey\": true");
        }
        CollectionSchemas.validate(schema);
    }

    /** Checks a field to add to an existing collection (before the whole new schema is checked). */
    static void validateAddedField(FieldSchema f) {
        validateTidy(f);
        if (f.getPrimaryKey() || !f.getNullable()) {
            throw StreamingException.invalidArgument("field '" + f.getName() + "' must be nullable and not a"
                    + " primary key: rows written before it have no value for it");
        }
    }

    private static void validateTidy(FieldSchema f) {
        validateName("field", f.getName());
        if (f.getType() != DataType.VARCHAR && f.getMaxLength() != 0) {
            throw StreamingException.invalidArgument("field '" + f.getName() + "' is " + f.getType()
                    + "; maxLength applies to VARCHAR only");
        }
        if (f.getType() != DataType.FLOAT_VECTOR && f.getDim() != 0) {
            throw StreamingException.invalidArgument("field '" + f.getName() + "' is " + f.getType()
                    + "; dim applies to FLOAT_VECTOR only");
        }
    }
}
