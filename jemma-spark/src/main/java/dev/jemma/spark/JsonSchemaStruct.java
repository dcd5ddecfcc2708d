package dev.jemma.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Spark type a JSON Schema's documents parse into ({@code from_json}): an object becomes a struct of its
 * {@code properties} (required ones non-null), arrays arrays, {@code string}/{@code integer}/{@code number}/
 * {@code boolean} the matching type. What has no single Spark type (a union of types, {@code anyOf}, a free-form
 * object) stays a string holding the JSON text.
 */
final class JsonSchemaStruct {
    private static final int MAX_DEPTH = 32;

    private JsonSchemaStruct() {}

    /** The struct type for a schema whose root is an object. */
    static StructType of(String schemaJson) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(schemaJson);
        } catch (java.io.IOException e) {
            throw new JemmaSparkException("the JSON Schema is not valid JSON: " + e.getMessage(), e);
        }
        if (!(type(root, root, 0) instanceof StructType s)) {
            throw new JemmaSparkException("the JSON Schema's root must be an object with properties to parse into a struct");
        }
        return s;
    }

    private static DataType type(JsonNode root, JsonNode s, int depth) {
        if (depth > MAX_DEPTH) throw new JemmaSparkException("the JSON Schema nests deeper than " + MAX_DEPTH);
        if (s == null || !s.isObject()) return DataTypes.StringType;
        JsonNode ref = s.get("$ref");
        if (ref != null && ref.isTextual() && ref.asText().startsWith("#/")) {
            return type(root, root.at(ref.asText().substring(1)), depth + 1);
        }
        JsonNode t = s.get("type");
        String type = t != null && t.isTextual() ? t.asText() : guess(s);
        return switch (type == null ? "" : type) {
            case "object" -> struct(root, s, depth);
            case "array" -> DataTypes.createArrayType(type(root, s.get("items"), depth + 1), true);
            case "integer" -> DataTypes.LongType;
            case "number" -> DataTypes.DoubleType;
            case "boolean" -> DataTypes.BooleanType;
            default -> DataTypes.StringType;
        };
    }

    /** A schema without "type": an enum or const of one JSON kind, or properties (an object). */
    private static String guess(JsonNode s) {
        if (s.has("properties")) return "object";
        JsonNode e = s.has("enum") ? s.get("enum") : null;
        if (e != null && e.isArray() && !e.isEmpty()) {
            boolean strings = true;
            for (JsonNode v : e) strings &= v.isTextual();
            return strings ? "string" : null;
        }
        return null;
    }

    private static DataType struct(JsonNode root, JsonNode s, int depth) {
        JsonNode props = s.get("properties");
        if (props == null || !props.isObject() || props.isEmpty()) return DataTypes.StringType;
        Set<String> required = new HashSet<>();
        JsonNode req = s.get("required");
        if (req != null && req.isArray()) for (JsonNode r : req) required.add(r.asText());
        List<StructField> fields = new ArrayList<>();
        for (Map.Entry<String, JsonNode> p : props.properties()) {
            fields.add(DataTypes.createStructField(p.getKey(), type(root, p.getValue(), depth + 1), !required.contains(p.getKey())));
        }
        return DataTypes.createStructType(fields);
    }
}
