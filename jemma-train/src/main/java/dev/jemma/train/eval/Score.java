package dev.jemma.train.eval;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Map;

/**
 * The totals over an evaluation set. Rates are fractions in [0, 1]; field and record accuracy are over the examples
 * whose expected answer is a JSON object (null when there are none), {@code perField} in first-seen key order.
 */
public record Score(int examples, double exactMatch, double validJson, Double fieldAccuracy, Map<String, Double> perField,
                    Double recordAccuracy, int recordsScored, long fieldsScored) {
    public Score {
        perField = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(perField));
    }

    /** {"examples", "exact_match", "valid_json", "field_accuracy": {"overall", "fields": {...}}, "record_accuracy", ...}. */
    public ObjectNode toJson() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode o = f.objectNode();
        o.put("examples", examples);
        o.put("exact_match", round(exactMatch));
        o.put("valid_json", round(validJson));
        ObjectNode fields = o.putObject("field_accuracy");
        fields.put("overall", fieldAccuracy == null ? null : round(fieldAccuracy));
        ObjectNode each = fields.putObject("fields");
        perField.forEach((k, v) -> each.put(k, round(v)));
        o.put("record_accuracy", recordAccuracy == null ? null : round(recordAccuracy));
        o.put("records_scored", recordsScored);
        o.put("fields_scored", fieldsScored);
        return o;
    }

    /** Four decimals: enough for sets of up to 10,000 examples, and stable to compare. */
    private static double round(double v) {
        return Math.round(v * 10_000) / 10_000.0;
    }
}
