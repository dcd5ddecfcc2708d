package dev.jemma.train.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scores generated answers against expected ones, for extraction tasks whose answer is a JSON object.
 * <ul>
 *   <li>exact match: the texts are equal after trimming surrounding whitespace;</li>
 *   <li>valid JSON: the whole answer (trimmed) is one JSON value;</li>
 *   <li>field accuracy, per field of the expected object: the answer is a JSON object whose value for that key is
 *       equal as JSON (key order irrelevant, numbers by value so 1 equals 1.0); a key the answer leaves out counts
 *       as null, so it is right exactly when null was expected; keys the answer adds are not scored;</li>
 *   <li>record accuracy: every field of the expected object right.</li>
 * </ul>
 * An answer that is not JSON gets every field wrong. Not thread-safe.
 */
public final class Scorer {
    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private int examples;
    private int exact;
    private int valid;
    private int records;
    private int recordsRight;
    private long fields;
    private long fieldsRight;
    private final Map<String, int[]> perField = new LinkedHashMap<>(); // key -> {right, total}

    /** Scores one answer and adds it to the totals. */
    public ExampleScore add(String expected, String generated) {
        examples++;
        boolean exactMatch = expected.strip().equals(generated.strip());
        JsonNode got = parse(generated);
        JsonNode want = parse(expected);
        if (exactMatch) exact++;
        if (got != null) valid++;
        List<String> right = new ArrayList<>(), wrong = new ArrayList<>();
        boolean object = want != null && want.isObject();
        if (object) {
            records++;
            for (Map.Entry<String, JsonNode> f : want.properties()) {
                boolean ok = got != null && got.isObject() && JsonEquality.equal(f.getValue(), valueOrNull(got, f.getKey()));
                int[] counts = perField.computeIfAbsent(f.getKey(), k -> new int[2]);
                counts[1]++;
                fields++;
                if (ok) {
                    counts[0]++;
                    fieldsRight++;
                    right.add(f.getKey());
                } else {
                    wrong.add(f.getKey());
                }
            }
            if (wrong.isEmpty()) recordsRight++;
        }
        return new ExampleScore(exactMatch, got != null, object, right, wrong);
    }

    private static JsonNode valueOrNull(JsonNode object, String key) {
        JsonNode v = object.get(key);
        return v == null ? com.fasterxml.jackson.databind.node.NullNode.getInstance() : v;
    }

    /** The text as one JSON value, or null when it is not JSON (or is empty). */
    static JsonNode parse(String text) {
        String t = text.strip();
        if (t.isEmpty()) return null;
        try {
            return JSON.readTree(t);
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    public Score result() {
        Map<String, Double> each = new LinkedHashMap<>();
        perField.forEach((k, c) -> each.put(k, (double) c[0] / c[1]));
        return new Score(examples, rate(exact, examples), rate(valid, examples),
                records == 0 ? null : (double) fieldsRight / Math.max(1, fields), each,
                records == 0 ? null : rate(recordsRight, records), records, fields);
    }

    private static double rate(long n, long d) {
        return d == 0 ? 0 : (double) n / d;
    }
}
