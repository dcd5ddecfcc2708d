package dev.jemma.train.eval;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Map;

/** JSON values equal as JSON: objects whatever their key order, arrays in order, numbers by value (1 = 1.0 = 1e0). */
final class JsonEquality {
    private JsonEquality() {}

    static boolean equal(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) return a.decimalValue().compareTo(b.decimalValue()) == 0;
        if (a.getNodeType() != b.getNodeType()) return false;
        if (a.isObject()) {
            if (a.size() != b.size()) return false;
            for (Map.Entry<String, JsonNode> f : a.properties()) {
                JsonNode other = b.get(f.getKey());
                if (other == null || !equal(f.getValue(), other)) return false;
            }
            return true;
        }
        if (a.isArray()) {
            if (a.size() != b.size()) return false;
            for (int i = 0; i < a.size(); i++) if (!equal(a.get(i), b.get(i))) return false;
            return true;
        }
        return a.equals(b);
    }
}
