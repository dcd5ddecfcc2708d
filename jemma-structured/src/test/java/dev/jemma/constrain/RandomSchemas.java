package dev.jemma.constrain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

/**
 * Random schemas from the supported subset, and random instances that are valid for them the way the compiler
 * generates (declared property order, extra properties only where allowed, plain numbers). Test support.
 */
final class RandomSchemas {
    static final JsonNodeFactory F = JsonNodeFactory.instance;
    static final ObjectMapper M = new ObjectMapper()
            .enable(com.fasterxml.jackson.core.JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);

    record Pattern(String regex, Function<Random, String> example) {}

    static final List<Pattern> PATTERNS = List.of(
            new Pattern("^[a-z]{2,5}$", r -> word(r, "abcdefghijklmnopqrstuvwxyz", 2 + r.nextInt(4))),
            new Pattern("^\\d{3}-\\d{4}$", r -> word(r, "0123456789", 3) + "-" + word(r, "0123456789", 4)),
            new Pattern("^(foo|bar)+$", r -> { StringBuilder s = new StringBuilder(); for (int i = 0, n = 1 + r.nextInt(3); i < n; i++) s.append(r.nextBoolean() ? "foo" : "bar"); return s.toString(); }),
            new Pattern("^[A-Z][a-z]*( [A-Z][a-z]*)?$", r -> "K" + word(r, "xyz", r.nextInt(4)) + (r.nextBoolean() ? " Q" + word(r, "ab", 2) : "")),
            new Pattern("ab", r -> word(r, "xyé\"\n", r.nextInt(3)) + "ab" + word(r, "ab日", r.nextInt(3))),
            new Pattern("^[а-я]{1,6}$", r -> word(r, "абвгдежзия", 1 + r.nextInt(6))),
            new Pattern("^\\w+@\\w+\\.com$", r -> word(r, "ab_9", 1 + r.nextInt(4)) + "@" + word(r, "xyz", 1 + r.nextInt(3)) + ".com"),
            new Pattern("^(a+)+$", r -> "a".repeat(1 + r.nextInt(5))),
            new Pattern("^.{0,3}$", r -> word(r, "a é日\"\\", r.nextInt(4))),
            new Pattern("^x\"y\\\\z\\d?$", r -> "x\"y\\z" + (r.nextBoolean() ? "7" : "")),
            new Pattern("^[^\\s,]{1,4}(,[^\\s,]{1,4})*$", r -> word(r, "ab€", 1 + r.nextInt(3)) + (r.nextBoolean() ? "," + word(r, "q\"", 2) : "")));

    static final List<String> FORMATS = List.of("date", "time", "date-time", "uuid");
    static final String NAME_CHARS = "abcxyz_é日\" \\/";

    final Random r;
    final ObjectNode defs = F.objectNode();

    RandomSchemas(Random r) {
        this.r = r;
    }

    static String word(Random r, String alphabet, int n) {
        int[] cps = alphabet.codePoints().toArray();
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < n; i++) s.appendCodePoint(cps[r.nextInt(cps.length)]);
        return s.toString();
    }

    /** A root schema (with $defs when references were made). */
    ObjectNode root() {
        defs.removeAll();
        ObjectNode s = schema(0);
        if (!defs.isEmpty()) {
            if (s.has("$ref")) { // a root that is only a $ref: wrap it
                ObjectNode w = F.objectNode();
                w.set("anyOf", F.arrayNode().add(s).add(leaf()));
                s = w;
            }
            s.set("$defs", defs.deepCopy());
        }
        return s;
    }

    ObjectNode schema(int depth) {
        int k = r.nextInt(depth >= 3 ? 4 : 9);
        return switch (k) {
            case 0, 1, 2, 3 -> leaf();
            case 4 -> object(depth);
            case 5 -> array(depth);
            case 6 -> choice(depth, "anyOf");
            case 7 -> oneOf(depth);
            default -> ref(depth);
        };
    }

    ObjectNode leaf() {
        ObjectNode s = F.objectNode();
        switch (r.nextInt(10)) {
            case 0 -> {
                s.put("type", "string");
                if (r.nextBoolean()) s.put("minLength", r.nextInt(3));
                if (r.nextBoolean()) s.put("maxLength", s.path("minLength").asInt(0) + r.nextInt(6));
            }
            case 1 -> { s.put("type", "string"); s.put("pattern", PATTERNS.get(r.nextInt(PATTERNS.size())).regex()); }
            case 2 -> { s.put("type", "string"); s.put("format", FORMATS.get(r.nextInt(FORMATS.size()))); }
            case 3 -> {
                s.put("type", "integer");
                int lo = r.nextInt(2000) - 1000;
                if (r.nextBoolean()) s.put(r.nextBoolean() ? "minimum" : "exclusiveMinimum", lo);
                if (r.nextBoolean()) s.put(r.nextBoolean() ? "maximum" : "exclusiveMaximum", lo + 2 + r.nextInt(500));
            }
            case 4 -> {
                s.put("type", "number");
                BigDecimal lo = BigDecimal.valueOf(r.nextInt(20000) - 10000, 2);
                if (r.nextBoolean()) s.put(r.nextBoolean() ? "minimum" : "exclusiveMinimum", lo);
                if (r.nextBoolean()) s.put(r.nextBoolean() ? "maximum" : "exclusiveMaximum", lo.add(BigDecimal.valueOf(1 + r.nextInt(900), 1)));
            }
            case 5 -> s.put("type", "boolean");
            case 6 -> s.put("type", "null");
            case 7 -> {
                ArrayNode e = s.putArray("enum");
                e.add("rød").add("blue \"sky\"").add(3).add(F.nullNode());
                if (r.nextBoolean()) e.add("日本語").add(-1.5).add(true);
            }
            case 8 -> s.set("const", r.nextBoolean() ? F.textNode("ça va") : F.numberNode(42));
            default -> { s.putArray("type").add("string").add("null"); s.put("maxLength", 4); }
        }
        return s;
    }

    ObjectNode object(int depth) {
        ObjectNode s = F.objectNode();
        s.put("type", "object");
        ObjectNode props = s.putObject("properties");
        ArrayNode req = F.arrayNode();
        for (int i = 0, n = 1 + r.nextInt(4); i < n; i++) {
            String name = word(r, NAME_CHARS, 1 + r.nextInt(4));
            if (props.has(name)) continue;
            props.set(name, schema(depth + 1));
            if (r.nextBoolean()) req.add(name);
        }
        if (!req.isEmpty()) s.set("required", req);
        switch (r.nextInt(4)) {
            case 0 -> s.put("additionalProperties", false);
            case 1 -> s.put("additionalProperties", true);
            case 2 -> s.set("additionalProperties", leaf());
            default -> { }
        }
        return s;
    }

    ObjectNode array(int depth) {
        ObjectNode s = F.objectNode();
        s.put("type", "array");
        if (r.nextInt(3) == 0) {
            ArrayNode p = s.putArray("prefixItems");
            for (int i = 0, n = 1 + r.nextInt(2); i < n; i++) p.add(schema(depth + 1));
            if (r.nextBoolean()) s.put("items", false);
            else s.set("items", schema(depth + 1));
        } else {
            s.set("items", schema(depth + 1));
        }
        int mn = r.nextInt(3);
        if (r.nextBoolean()) s.put("minItems", mn);
        if (r.nextBoolean()) s.put("maxItems", mn + r.nextInt(3));
        if (s.path("items").isBoolean() && s.has("minItems") && s.get("minItems").asInt() > s.get("prefixItems").size()) s.remove("minItems");
        return s;
    }

    ObjectNode choice(int depth, String k) {
        ObjectNode s = F.objectNode();
        ArrayNode a = s.putArray(k);
        for (int i = 0, n = 2 + r.nextInt(2); i < n; i++) a.add(schema(depth + 1));
        return s;
    }

    /** Alternatives of different types, so they exclude each other. */
    ObjectNode oneOf(int depth) {
        ObjectNode s = F.objectNode();
        ArrayNode a = s.putArray("oneOf");
        ObjectNode str = F.objectNode().put("type", "string").put("maxLength", 3);
        ObjectNode in = F.objectNode().put("type", "integer");
        ObjectNode obj = object(depth + 1);
        a.add(str).add(r.nextBoolean() ? in : F.objectNode().put("type", "null"));
        if (r.nextBoolean()) a.add(obj);
        return s;
    }

    ObjectNode ref(int depth) {
        String name = "d" + defs.size();
        defs.set(name, F.objectNode()); // reserve the name before the body can make references of its own
        defs.set(name, schema(depth + 1));
        return F.objectNode().put("$ref", "#/$defs/" + name);
    }

    // ---------------------------------------------------------------- instances

    JsonNode instance(JsonNode s, JsonNode root) {
        if (s.has("$ref")) return instance(root.at(s.get("$ref").asText().substring(1)), root);
        if (s.has("anyOf")) return instance(s.get("anyOf").get(r.nextInt(s.get("anyOf").size())), root);
        if (s.has("oneOf")) return instance(s.get("oneOf").get(r.nextInt(s.get("oneOf").size())), root);
        if (s.has("const")) return s.get("const");
        if (s.has("enum")) return s.get("enum").get(r.nextInt(s.get("enum").size()));
        JsonNode type = s.get("type");
        String t = type.isArray() ? type.get(r.nextInt(type.size())).asText() : type.asText();
        return switch (t) {
            case "string" -> F.textNode(string(s));
            case "integer" -> F.numberNode(integer(s));
            case "number" -> F.numberNode(number(s));
            case "boolean" -> F.booleanNode(r.nextBoolean());
            case "null" -> F.nullNode();
            case "object" -> object(s, root);
            default -> array(s, root);
        };
    }

    String string(JsonNode s) {
        if (s.has("pattern")) {
            for (Pattern p : PATTERNS) if (p.regex().equals(s.get("pattern").asText())) return p.example().apply(r);
        }
        if (s.has("format")) {
            String d = String.format("%04d-%02d-%02d", 1000 + r.nextInt(1999), 1 + r.nextInt(12), 1 + r.nextInt(28));
            String tm = String.format("%02d:%02d:%02d%s", r.nextInt(24), r.nextInt(60), r.nextInt(60), r.nextBoolean() ? "Z" : "+05:30");
            return switch (s.get("format").asText()) {
                case "date" -> d;
                case "time" -> tm.substring(0, 8) + "Z";
                case "date-time" -> d + "T" + tm;
                default -> java.util.UUID.randomUUID().toString();
            };
        }
        int mn = s.path("minLength").asInt(0), mx = s.has("maxLength") ? s.get("maxLength").asInt() : mn + 8;
        return word(r, "aZ 9é日\"\\\n\t😀/\u0001", mn + r.nextInt(mx - mn + 1));
    }

    long integer(JsonNode s) {
        long lo = s.has("minimum") ? s.get("minimum").asLong() : s.has("exclusiveMinimum") ? s.get("exclusiveMinimum").asLong() + 1 : -5000;
        long hi = s.has("maximum") ? s.get("maximum").asLong() : s.has("exclusiveMaximum") ? s.get("exclusiveMaximum").asLong() - 1 : lo + 10000;
        return lo + (long) (r.nextDouble() * (hi - lo + 1));
    }

    BigDecimal number(JsonNode s) {
        BigDecimal unit = new BigDecimal("0.001");
        BigDecimal lo = s.has("minimum") ? s.get("minimum").decimalValue() : s.has("exclusiveMinimum") ? s.get("exclusiveMinimum").decimalValue().add(unit) : new BigDecimal(-5000);
        BigDecimal hi = s.has("maximum") ? s.get("maximum").decimalValue() : s.has("exclusiveMaximum") ? s.get("exclusiveMaximum").decimalValue().subtract(unit) : lo.add(new BigDecimal(10000));
        BigDecimal span = hi.subtract(lo);
        return lo.add(span.multiply(BigDecimal.valueOf(r.nextInt(1001), 3))).setScale(3, java.math.RoundingMode.DOWN).max(lo);
    }

    JsonNode object(JsonNode s, JsonNode root) {
        ObjectNode o = F.objectNode();
        List<String> req = new ArrayList<>();
        s.path("required").forEach(x -> req.add(x.asText()));
        for (Iterator<Map.Entry<String, JsonNode>> it = s.path("properties").fields(); it.hasNext(); ) {
            var e = it.next();
            if (req.contains(e.getKey()) || r.nextBoolean()) o.set(e.getKey(), instance(e.getValue(), root));
        }
        JsonNode add = s.get("additionalProperties");
        if (add != null && !(add.isBoolean() && !add.asBoolean()) && r.nextBoolean()) {
            String k = "extra" + word(r, "ab日", 2);
            if (!s.path("properties").has(k)) o.set(k, add.isBoolean() ? F.textNode("any") : instance(add, root));
        }
        return o;
    }

    JsonNode array(JsonNode s, JsonNode root) {
        ArrayNode a = F.arrayNode();
        int k = s.has("prefixItems") ? s.get("prefixItems").size() : 0;
        boolean restNone = s.path("items").isBoolean() && !s.get("items").asBoolean();
        int mn = s.path("minItems").asInt(0), mx = s.has("maxItems") ? s.get("maxItems").asInt() : mn + 3;
        if (restNone) mx = Math.min(mx, k);
        int n = mn + r.nextInt(Math.max(1, mx - mn + 1));
        n = Math.min(n, mx);
        for (int i = 0; i < n; i++) {
            a.add(i < k ? instance(s.get("prefixItems").get(i), root) : instance(s.get("items"), root));
        }
        return a;
    }
}
