package io.tidelog.parquet;

import com.google.protobuf.ByteString;
import io.tidelog.proto.BoolArray;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.Column;
import io.tidelog.proto.DataType;
import io.tidelog.proto.DoubleArray;
import io.tidelog.proto.FieldSchema;
import io.tidelog.proto.FloatArray;
import io.tidelog.proto.FloatVectorArray;
import io.tidelog.proto.InsertBody;
import io.tidelog.proto.Int32Array;
import io.tidelog.proto.Int64Array;
import io.tidelog.proto.JsonArray;
import io.tidelog.proto.StringArray;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Random, valid insert bodies of a schema, as clients send them: a nullable field's column is sometimes
 * left out (all its rows null) and otherwise has random nulls, whose placeholder values are random too
 * (a writer must not read them). Text mixes ASCII with two-, three- and four-byte UTF-8.
 */
final class RandomInserts {
    private static final String[] PIECES = {"a", "Z", "7", " ", "-", "é", "ß", "Ω", "中", "文", "🙂", "𝄞", "\"", "\\"};
    private static final String[] JSON = {"{\"a\":1,\"b\":[true,null,\"é\"]}", "[1,2.5,-3e2]", "\"text 中文\"", "null",
        "true", "12345678901234567", "{\"nested\":{\"k\":\"🙂\"}}", "[]", "{}"};

    private final Random random;
    private final float nullProbability;
    private long nextKey;

    /**
     * @param random   the source of everything
     * @param firstKey the primary key of the first row; keys count up from it, so they are unique
     */
    RandomInserts(Random random, long firstKey) {
        this.random = random;
        this.nextKey = firstKey;
        this.nullProbability = 0.25f;
    }

    /** An insert of {@code rows} rows of {@code schema}, with every field's column except absent nullable ones. */
    InsertBody insert(CollectionSchema schema, int rows) {
        InsertBody.Builder b = InsertBody.newBuilder().setPartitionId(7).setNumRows(rows);
        List<Column> columns = new ArrayList<>();
        for (FieldSchema f : schema.getFieldsList()) {
            if (f.getNullable() && random.nextInt(8) == 0) {
                continue;
            }
            columns.add(column(f, rows));
        }
        if (random.nextBoolean()) {
            java.util.Collections.shuffle(columns, random);
        }
        nextKey += rows;
        return b.addAllColumns(columns).build();
    }

    private Column column(FieldSchema f, int rows) {
        Column.Builder c = Column.newBuilder().setFieldName(f.getName());
        switch (f.getType()) {
            case BOOL -> {
                BoolArray.Builder a = BoolArray.newBuilder();
                for (int i = 0; i < rows; i++) {
                    a.addValues(random.nextBoolean());
                }
                c.setBools(a);
            }
            case INT32 -> {
                Int32Array.Builder a = Int32Array.newBuilder();
                for (int i = 0; i < rows; i++) {
                    a.addValues(random.nextInt(4) == 0 ? random.nextInt(100) : random.nextInt());
                }
                c.setInt32S(a);
            }
            case INT64 -> {
                Int64Array.Builder a = Int64Array.newBuilder();
                for (int i = 0; i < rows; i++) {
                    a.addValues(f.getPrimaryKey() ? nextKey + i : random.nextLong());
                }
                c.setInt64S(a);
            }
            case FLOAT -> {
                FloatArray.Builder a = FloatArray.newBuilder();
                for (int i = 0; i < rows; i++) {
                    a.addValues(random.nextInt(10) == 0 ? -0.0f : (float) random.nextGaussian() * 1000);
                }
                c.setFloats(a);
            }
            case DOUBLE -> {
                DoubleArray.Builder a = DoubleArray.newBuilder();
                for (int i = 0; i < rows; i++) {
                    a.addValues(random.nextInt(10) == 0 ? Double.MIN_VALUE : random.nextGaussian() * 1e12);
                }
                c.setDoubles(a);
            }
            case VARCHAR -> {
                StringArray.Builder a = StringArray.newBuilder();
                for (int i = 0; i < rows; i++) {
                    a.addValues(f.getPrimaryKey() ? "k" + (nextKey + i) + ":" + text(8) : text(f.getMaxLength()));
                }
                c.setStrings(a);
            }
            case JSON -> {
                JsonArray.Builder a = JsonArray.newBuilder();
                for (int i = 0; i < rows; i++) {
                    a.addValues(ByteString.copyFromUtf8(JSON[random.nextInt(JSON.length)]));
                }
                c.setJsons(a);
            }
            case FLOAT_VECTOR -> {
                FloatVectorArray.Builder a = FloatVectorArray.newBuilder().setDim(f.getDim());
                for (int i = 0; i < rows * f.getDim(); i++) {
                    a.addValues((float) random.nextGaussian());
                }
                c.setFloatVectors(a);
            }
            default -> throw new AssertionError(f.getType());
        }
        if (f.getNullable() && random.nextInt(4) != 0) {
            for (int i = 0; i < rows; i++) {
                c.addValid(random.nextFloat() >= nullProbability);
            }
        }
        return c.build();
    }

    /** Random text of at most {@code maxBytes} UTF-8 bytes, empty now and then. */
    String text(int maxBytes) {
        StringBuilder s = new StringBuilder();
        int bytes = 0;
        int target = random.nextInt(maxBytes + 1);
        while (true) {
            String piece = PIECES[random.nextInt(PIECES.length)];
            int n = piece.getBytes(StandardCharsets.UTF_8).length;
            if (bytes + n > target) {
                return s.toString();
            }
            s.append(piece);
            bytes += n;
        }
    }

    /** A schema's primary key type's {@link DataType}, for naming tests. */
    static DataType primaryKeyType(CollectionSchema schema) {
        return schema.getFieldsList().stream().filter(FieldSchema::getPrimaryKey).findFirst().orElseThrow().getType();
    }
}
