package io.tidelog.parquet;

import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * DuckDB, in memory, as the independent reader of the files under test: what it reads is what any
 * Parquet reader would. Values come back as JDBC gives them, except that a list becomes a {@link List} and
 * a JSON value its text.
 */
final class DuckDb implements AutoCloseable {
    private final Connection connection;

    DuckDb() throws SQLException {
        this.connection = DriverManager.getConnection("jdbc:duckdb:");
    }

    /** The rows of {@code sql}, each a map from column label to value, in column order. */
    List<Map<String, Object>> query(String sql) throws SQLException {
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            ResultSetMetaData md = rs.getMetaData();
            List<Map<String, Object>> rows = new ArrayList<>();
            while (rs.next()) {
                Map<String, Object> row = new LinkedHashMap<>();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    row.put(md.getColumnLabel(i), value(rs, i, md.getColumnTypeName(i)));
                }
                rows.add(row);
            }
            return rows;
        }
    }

    /** Runs {@code sql}, a statement without results (COPY, CREATE, ...). */
    void execute(String sql) throws SQLException {
        try (Statement s = connection.createStatement()) {
            s.execute(sql);
        }
    }

    /** The one value of a query of one row and one column. */
    Object scalar(String sql) throws SQLException {
        List<Map<String, Object>> rows = query(sql);
        if (rows.size() != 1 || rows.get(0).size() != 1) {
            throw new AssertionError("expected one value from " + sql + ", got " + rows);
        }
        return rows.get(0).values().iterator().next();
    }

    /** {@code read_parquet('<file>')}, quoted for SQL. */
    static String readParquet(Path file) {
        return "read_parquet(" + literal(file) + ")";
    }

    static String literal(Path file) {
        return "'" + file.toAbsolutePath().toString().replace("'", "''") + "'";
    }

    private static Object value(ResultSet rs, int column, String type) throws SQLException {
        if (type.equals("JSON") || type.equals("VARCHAR")) {
            return rs.getString(column);
        }
        Object v = rs.getObject(column);
        if (v instanceof Array a) {
            return Arrays.asList((Object[]) a.getArray());
        }
        return v;
    }

    @Override
    public void close() throws SQLException {
        connection.close();
    }
}
