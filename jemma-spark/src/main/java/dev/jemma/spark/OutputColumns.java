package dev.jemma.spark;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.List;

/** The columns {@link JemmaSpark#generate} adds to each input row, in this order. */
public final class OutputColumns {
    /** The generated text; null when the row failed. */
    public static final String COMPLETION = "completion";
    /** {@code stop}, {@code length}, or {@code error} for a failed row. */
    public static final String FINISH_REASON = "finish_reason";
    public static final String PROMPT_TOKENS = "prompt_tokens";
    public static final String COMPLETION_TOKENS = "completion_tokens";
    /** Null, or why this row got no completion (null or oversized prompt, unknown adapter, ...). */
    public static final String ERROR = "error";
    /** With a JSON Schema: the completion parsed into a struct of the schema's fields. */
    public static final String COMPLETION_JSON = "completion_json";

    static final List<String> NAMES = List.of(COMPLETION, FINISH_REASON, PROMPT_TOKENS, COMPLETION_TOKENS, ERROR);

    private OutputColumns() {}

    /** The struct of one row's result (the UDF's return type). */
    public static StructType resultType() {
        return new StructType(new StructField[]{
                DataTypes.createStructField(COMPLETION, DataTypes.StringType, true),
                DataTypes.createStructField(FINISH_REASON, DataTypes.StringType, false),
                DataTypes.createStructField(PROMPT_TOKENS, DataTypes.IntegerType, false),
                DataTypes.createStructField(COMPLETION_TOKENS, DataTypes.IntegerType, false),
                DataTypes.createStructField(ERROR, DataTypes.StringType, true)});
    }

    /** The input's schema with the result columns after it; refused if the input already has one of them. */
    static StructType appendTo(StructType input) {
        for (String n : NAMES) {
            if (List.of(input.fieldNames()).contains(n)) {
                throw new JemmaSparkException("the input already has a column '" + n + "', which the output adds: rename it first");
            }
        }
        StructType out = input;
        for (StructField f : resultType().fields()) out = out.add(f);
        return out;
    }
}
