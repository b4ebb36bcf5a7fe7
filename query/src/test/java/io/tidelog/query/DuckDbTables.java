package io.tidelog.query;

import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.DataType;
import io.tidelog.proto.FieldSchema;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Rows of a schema as a DuckDB table, the oracle's side of the filter tests: one column per field under its name
 * (BOOLEAN, INTEGER, BIGINT, FLOAT, DOUBLE, VARCHAR, JSON), vectors left out. Rows are as {@link TestTables} has
 * them: one entry per field of the schema, in order, JSON as its text, {@code null} for null.
 */
public final class DuckDbTables {
    private DuckDbTables() {
    }

    /** Replaces table {@code table} with {@code rows}. */
    public static void create(Connection db, String table, CollectionSchema schema, List<Object[]> rows)
            throws SQLException {
        List<Integer> columns = new ArrayList<>();
        List<String> definitions = new ArrayList<>();
        for (int i = 0; i < schema.getFieldsCount(); i++) {
            FieldSchema f = schema.getFields(i);
            if (f.getType() != DataType.FLOAT_VECTOR) {
                columns.add(i);
                definitions.add("\"" + f.getName() + "\" " + sqlType(f.getType()));
            }
        }
        try (Statement s = db.createStatement()) {
            s.execute("DROP TABLE IF EXISTS " + table);
            s.execute("CREATE TABLE " + table + " (" + String.join(", ", definitions) + ")");
        }
        String marks = String.join(", ", Collections.nCopies(columns.size(), "?"));
        try (PreparedStatement p = db.prepareStatement("INSERT INTO " + table + " VALUES (" + marks + ")")) {
            for (Object[] r : rows) {
                for (int c = 0; c < columns.size(); c++) {
                    Object v = r[columns.get(c)];
                    if (v == null) {
                        p.setNull(c + 1, jdbcType(schema.getFields(columns.get(c)).getType()));
                    } else if (v instanceof Float x) {
                        p.setFloat(c + 1, x);
                    } else {
                        p.setObject(c + 1, v);
                    }
                }
                p.addBatch();
            }
            p.executeBatch();
        }
    }

    private static String sqlType(DataType type) {
        return switch (type) {
            case BOOL -> "BOOLEAN";
            case INT32 -> "INTEGER";
            case INT64 -> "BIGINT";
            case FLOAT -> "FLOAT";
            case DOUBLE -> "DOUBLE";
            case VARCHAR -> "VARCHAR";
            case JSON -> "JSON";
            default -> throw new IllegalArgumentException("no SQL column for " + type);
        };
    }

    private static int jdbcType(DataType type) {
        return switch (type) {
            case BOOL -> Types.BOOLEAN;
            case INT32 -> Types.INTEGER;
            case INT64 -> Types.BIGINT;
            case FLOAT -> Types.FLOAT;
            case DOUBLE -> Types.DOUBLE;
            default -> Types.VARCHAR;
        };
    }
}
