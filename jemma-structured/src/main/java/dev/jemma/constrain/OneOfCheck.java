package dev.jemma.constrain;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.HashSet;
import java.util.Set;

/**
 * Decides, conservatively, that two {@code oneOf} alternatives can never match the same generated value, which
 * is what lets oneOf be compiled as a plain choice: different JSON types, disjoint enum/const values, or objects
 * told apart by a required property (a const/enum discriminator, or one the other alternative never emits).
 */
final class OneOfCheck {
    private OneOfCheck() {}

    private static final int NULL = 1, BOOL = 2, INT = 4, FRACTION = 8, STRING = 16, ARRAY = 32, OBJECT = 64, ALL = 127;

    static boolean disjoint(JsonNode a, JsonNode b, JsonNode root) {
        a = resolve(a, root);
        b = resolve(b, root);
        int ta = types(a, root, 0), tb = types(b, root, 0);
        if ((ta & tb) == 0) return true;
        Set<String> va = values(a), vb = values(b);
        if (va != null && vb != null && disjoint(va, vb)) return true;
        if (ta == OBJECT && tb == OBJECT && a.isObject() && b.isObject()) {
            return separatedBy(a, b, root) || separatedBy(b, a, root);
        }
        return false;
    }

    /** Does a required property of x exclude y's values? */
    private static boolean separatedBy(JsonNode x, JsonNode y, JsonNode root) {
        JsonNode req = x.get("required");
        if (req == null || !req.isArray()) return false;
        JsonNode xp = x.path("properties"), yp = y.path("properties");
        for (JsonNode r : req) {
            String name = r.asText();
            JsonNode ys = yp.get(name);
            if (ys == null) {
                JsonNode add = y.get("additionalProperties");
                if (add == null || (add.isBoolean() && !add.asBoolean())) return true; // y never emits it
                continue;
            }
            JsonNode xs = xp.get(name);
            if (xs == null) continue;
            Set<String> vx = values(resolve(xs, root)), vy = values(resolve(ys, root));
            if (vx != null && vy != null && disjoint(vx, vy)) return true;
        }
        return false;
    }

    private static boolean disjoint(Set<String> a, Set<String> b) {
        for (String s : a) if (b.contains(s)) return false;
        return true;
    }

    private static JsonNode resolve(JsonNode s, JsonNode root) {
        for (int i = 0; i < 32 && s != null && s.isObject() && s.has("$ref"); i++) {
            String ref = s.get("$ref").asText();
            if (!ref.startsWith("#")) return s;
            JsonNode t = root.at(ref.substring(1));
            if (t.isMissingNode()) return s;
            s = t;
        }
        return s;
    }

    private static Set<String> values(JsonNode s) {
        if (s == null || !s.isObject()) return null;
        if (s.has("const")) return Set.of(s.get("const").toString());
        if (s.has("enum") && s.get("enum").isArray()) {
            Set<String> v = new HashSet<>();
            for (JsonNode e : s.get("enum")) v.add(e.toString());
            return v;
        }
        return null;
    }

    private static int types(JsonNode s, JsonNode root, int depth) {
        if (s == null || depth > 16) return ALL;
        s = resolve(s, root);
        if (s.isBoolean()) return s.asBoolean() ? ALL : 0;
        if (!s.isObject()) return ALL;
        if (s.has("const") || s.has("enum")) {
            int t = 0;
            if (s.has("const")) t |= typeOf(s.get("const"));
            if (s.has("enum")) for (JsonNode e : s.get("enum")) t |= typeOf(e);
            return t;
        }
        for (String k : new String[] {"anyOf", "oneOf"}) {
            if (s.has(k)) {
                int t = 0;
                for (JsonNode alt : s.get(k)) t |= types(alt, root, depth + 1);
                return t;
            }
        }
        JsonNode type = s.get("type");
        if (type == null) return ALL;
        int t = 0;
        if (type.isTextual()) t = typeBits(type.asText());
        else for (JsonNode x : type) t |= typeBits(x.asText());
        return t;
    }

    private static int typeBits(String t) {
        return switch (t) {
            case "null" -> NULL;
            case "boolean" -> BOOL;
            case "integer" -> INT;
            case "number" -> INT | FRACTION;
            case "string" -> STRING;
            case "array" -> ARRAY;
            case "object" -> OBJECT;
            default -> ALL;
        };
    }

    private static int typeOf(JsonNode v) {
        if (v.isNull()) return NULL;
        if (v.isBoolean()) return BOOL;
        if (v.isIntegralNumber()) return INT;
        if (v.isNumber()) return v.decimalValue().stripTrailingZeros().scale() <= 0 ? INT : FRACTION;
        if (v.isTextual()) return STRING;
        if (v.isArray()) return ARRAY;
        return OBJECT;
    }

}
