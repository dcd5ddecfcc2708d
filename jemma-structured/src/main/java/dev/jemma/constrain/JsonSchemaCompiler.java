package dev.jemma.constrain;

import dev.jemma.generate.ConstraintException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compiles a JSON Schema (the documented subset, README "Structured output") to a {@link Grammar}. Anything
 * outside the subset is refused with a {@link SchemaException} naming the keyword by JSON Pointer: a schema is
 * never silently ignored. Generation is strict where the specification is loose, so every output validates:
 * properties come in declared order, undeclared properties only when {@code additionalProperties} explicitly
 * allows them, numbers without exponent, canonical literals for enum/const.
 */
public final class JsonSchemaCompiler {
    static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private static final Set<String> ANNOTATIONS = Set.of("title", "description", "default", "examples", "$comment",
            "$schema", "$id", "deprecated", "readOnly", "writeOnly", "$defs", "definitions");
    private static final Set<String> KEYWORDS = Set.of("type", "enum", "const", "anyOf", "oneOf", "allOf", "$ref",
            "properties", "required", "additionalProperties", "items", "prefixItems", "minItems", "maxItems",
            "minLength", "maxLength", "pattern", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum");
    private static final List<String> TYPES = List.of("object", "array", "string", "number", "integer", "boolean", "null");

    private final GrammarBuilder b;
    private final JsonTerms t;
    private final JsonNode root;
    private final String prefix;
    private final Map<String, Integer> refs = new HashMap<>();
    private int depth;

    /** Compiles schemas of one document into an existing builder; pointers in errors start with pointerPrefix. */
    public JsonSchemaCompiler(GrammarBuilder b, JsonNode root, String pointerPrefix) {
        this(b, new JsonTerms(b), root, pointerPrefix);
    }

    JsonSchemaCompiler(GrammarBuilder b, JsonTerms t, JsonNode root, String pointerPrefix) {
        this.b = b;
        this.t = t;
        this.root = root;
        this.prefix = pointerPrefix;
    }

    public static Grammar compile(String schemaJson) {
        return compile(schemaJson, ConstraintLimits.DEFAULT);
    }

    public static Grammar compile(String schemaJson, ConstraintLimits limits) {
        if (schemaJson.length() > limits.maxSourceChars()) {
            throw new SchemaException("", "the schema is longer than " + limits.maxSourceChars() + " characters");
        }
        return compile(parse(schemaJson, ""), limits);
    }

    public static Grammar compile(JsonNode schema, ConstraintLimits limits) {
        GrammarBuilder b = new GrammarBuilder(limits);
        JsonSchemaCompiler c = new JsonSchemaCompiler(b, schema, "");
        int node = c.compileRoot();
        return c.build(node);
    }

    /** JSON text to a tree, refusing malformed or absurdly nested input with a SchemaException. */
    public static JsonNode parse(String json, String pointer) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new SchemaException(pointer, "not valid JSON: " + e.getOriginalMessage());
        }
    }

    /** The node for the whole document. */
    public int compileRoot() {
        return schema(root, "");
    }

    /** Finishes the builder, reporting grammar-level problems against this document. */
    public Grammar build(int node) {
        try {
            return b.build(node);
        } catch (SchemaException e) {
            throw e;
        } catch (ConstraintException e) {
            throw new SchemaException(prefix, e.getMessage());
        }
    }

    private SchemaException err(String ptr, String msg) {
        return new SchemaException(prefix + ptr, msg);
    }

    static String esc(String key) {
        return key.replace("~", "~0").replace("/", "~1");
    }

    int schema(JsonNode s, String ptr) {
        if (++depth > b.limits().maxNesting()) throw err(ptr, "nested deeper than " + b.limits().maxNesting() + " levels");
        try {
            b.checkTime();
            return compileSchema(s, ptr);
        } catch (SchemaException e) {
            throw e;
        } catch (ConstraintException e) {
            throw err(ptr, e.getMessage());
        } finally {
            depth--;
        }
    }

    private int compileSchema(JsonNode s, String ptr) {
        if (s.isBoolean()) return s.asBoolean() ? t.anyValue() : b.none();
        if (!s.isObject()) throw err(ptr, "a schema must be an object or a boolean");
        Set<String> constraining = new LinkedHashSet<>();
        for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (ANNOTATIONS.contains(k)) continue;
            if (!KEYWORDS.contains(k)) throw err(ptr + "/" + esc(k), "keyword '" + k + "' is not supported");
            constraining.add(k);
        }
        if (s.has("$id") && !ptr.isEmpty()) throw err(ptr + "/$id", "$id below the root (a new base URI) is not supported");
        if (s.has("$ref")) {
            only(s, ptr, constraining, "$ref");
            return ref(s.get("$ref"), ptr + "/$ref");
        }
        if (s.has("allOf")) {
            only(s, ptr, constraining, "allOf");
            JsonNode all = s.get("allOf");
            if (!all.isArray() || all.size() != 1) throw err(ptr + "/allOf", "only allOf with exactly one schema is supported");
            return schema(all.get(0), ptr + "/allOf/0");
        }
        for (String k : new String[] {"anyOf", "oneOf"}) {
            if (s.has(k)) {
                only(s, ptr, constraining, k);
                return choice(s.get(k), ptr + "/" + k, k.equals("oneOf"));
            }
        }
        if (s.has("enum") || s.has("const")) return literals(s, ptr, constraining);
        Set<String> types = types(s, ptr);
        List<Integer> alts = new ArrayList<>();
        if (types.contains("number")) types.remove("integer");
        for (String type : types) {
            alts.add(switch (type) {
                case "object" -> object(s, ptr);
                case "array" -> array(s, ptr);
                case "string" -> string(s, ptr);
                case "number", "integer" -> number(s, ptr, type.equals("integer"));
                case "boolean" -> t.literals(List.of("true", "false"));
                default -> b.lit("null");
            });
        }
        return b.alt(alts);
    }

    private void only(JsonNode s, String ptr, Set<String> constraining, String keyword) {
        for (String k : constraining) {
            if (!k.equals(keyword)) {
                throw err(ptr + "/" + esc(k), "'" + k + "' next to '" + keyword + "' is not supported (move it into the " + keyword + " branches)");
            }
        }
    }

    private Set<String> types(JsonNode s, String ptr) {
        JsonNode type = s.get("type");
        Set<String> out = new LinkedHashSet<>();
        if (type == null) {
            out.addAll(TYPES);
            out.remove("integer");
            return out;
        }
        if (type.isTextual()) {
            addType(out, type.asText(), ptr + "/type");
        } else if (type.isArray() && !type.isEmpty()) {
            for (JsonNode x : type) {
                if (!x.isTextual()) throw err(ptr + "/type", "type names must be strings");
                addType(out, x.asText(), ptr + "/type");
            }
        } else {
            throw err(ptr + "/type", "must be a type name or a non-empty array of them");
        }
        return out;
    }

    private void addType(Set<String> out, String name, String ptr) {
        if (!TYPES.contains(name)) throw err(ptr, "unknown type '" + name + "'");
        out.add(name);
    }

    private int ref(JsonNode refNode, String ptr) {
        if (!refNode.isTextual()) throw err(ptr, "$ref must be a string");
        String ref = refNode.asText();
        if (!ref.startsWith("#")) throw err(ptr, "only local references (#/...) are supported, not '" + ref + "'");
        String target = ref.substring(1);
        if (!target.isEmpty() && !target.startsWith("/")) throw err(ptr, "anchors ('" + ref + "') are not supported; use a JSON Pointer");
        Integer known = refs.get(target);
        if (known != null) return known;
        JsonNode s;
        try {
            s = root.at(target);
        } catch (IllegalArgumentException e) {
            throw err(ptr, "malformed JSON Pointer '" + ref + "'");
        }
        if (s.isMissingNode()) throw err(ptr, "'" + ref + "' points to nothing");
        int r = b.ref();
        refs.put(target, r);
        b.define(r, schema(s, target));
        return r;
    }

    private int choice(JsonNode list, String ptr, boolean exclusive) {
        if (!list.isArray() || list.isEmpty()) throw err(ptr, "must be a non-empty array of schemas");
        if (exclusive) {
            for (int i = 0; i < list.size(); i++) {
                for (int j = i + 1; j < list.size(); j++) {
                    if (!OneOfCheck.disjoint(list.get(i), list.get(j), root)) {
                        throw err(ptr, "alternatives " + i + " and " + j + " may match the same value, which oneOf forbids;"
                                + " use anyOf, or tell them apart by type or by a required const/enum property");
                    }
                }
            }
        }
        List<Integer> alts = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) alts.add(schema(list.get(i), ptr + "/" + i));
        return b.alt(alts);
    }

    private int literals(JsonNode s, String ptr, Set<String> constraining) {
        for (String k : constraining) {
            if (!k.equals("enum") && !k.equals("const") && !k.equals("type")) {
                throw err(ptr + "/" + esc(k), "'" + k + "' next to enum/const is not supported");
            }
        }
        Set<String> types = s.has("type") ? types(s, ptr) : null;
        List<JsonNode> values = new ArrayList<>();
        if (s.has("const")) values.add(s.get("const"));
        if (s.has("enum")) {
            JsonNode e = s.get("enum");
            if (!e.isArray() || e.isEmpty()) throw err(ptr + "/enum", "must be a non-empty array");
            if (s.has("const")) {
                boolean found = false;
                for (JsonNode v : e) found |= v.equals(s.get("const"));
                if (!found) values.clear();
            } else {
                e.forEach(values::add);
            }
        }
        List<String> texts = new ArrayList<>();
        for (JsonNode v : values) {
            if (types != null && !types.contains(typeName(v)) && !(typeName(v).equals("integer") && types.contains("number"))) continue;
            texts.add(v.toString());
        }
        if (texts.isEmpty()) throw err(ptr, "no enum/const value has an allowed type: nothing can match");
        return t.literals(texts);
    }

    private static String typeName(JsonNode v) {
        if (v.isNull()) return "null";
        if (v.isBoolean()) return "boolean";
        if (v.isIntegralNumber()) return "integer";
        if (v.isNumber()) return v.decimalValue().stripTrailingZeros().scale() <= 0 ? "integer" : "number";
        if (v.isTextual()) return "string";
        if (v.isArray()) return "array";
        return "object";
    }

    private int count(JsonNode s, String key, String ptr, int dflt) {
        JsonNode v = s.get(key);
        if (v == null) return dflt;
        if (!v.isIntegralNumber() && !(v.isNumber() && v.decimalValue().stripTrailingZeros().scale() <= 0)) {
            throw err(ptr + "/" + key, "must be a non-negative integer");
        }
        BigDecimal d = v.decimalValue();
        if (d.signum() < 0) throw err(ptr + "/" + key, "must be a non-negative integer");
        // beyond int range no generation could reach the bound anyway
        return d.compareTo(BigDecimal.valueOf(Grammar.INF - 1L)) > 0 ? Grammar.INF - 1 : d.intValue();
    }

    private int string(JsonNode s, String ptr) {
        int mn = count(s, "minLength", ptr, 0), mx = count(s, "maxLength", ptr, Grammar.INF);
        if (mn > mx) throw err(ptr + "/minLength", "minLength " + mn + " is above maxLength " + mx);
        boolean lengths = s.has("minLength") || s.has("maxLength");
        JsonNode pattern = s.get("pattern"), format = s.get("format");
        if (pattern != null && format != null) throw err(ptr + "/format", "format together with pattern is not supported");
        String regex = null, at = null;
        if (pattern != null) {
            if (!pattern.isTextual()) throw err(ptr + "/pattern", "must be a string");
            regex = pattern.asText();
            at = ptr + "/pattern";
        } else if (format != null) {
            if (!format.isTextual()) throw err(ptr + "/format", "must be a string");
            regex = Formats.PATTERNS.get(format.asText());
            at = ptr + "/format";
            if (regex == null) {
                throw err(at, "format '" + format.asText() + "' is not supported (supported: date, time, date-time, uuid)");
            }
        }
        if (regex == null) return t.string(mn, mx);
        if (lengths) throw err(ptr + (s.has("minLength") ? "/minLength" : "/maxLength"), "length limits together with pattern/format are not supported; put the bounds into the pattern as {m,n}");
        if (regex.length() > 4096) throw err(at, "the pattern is longer than 4096 characters");
        try {
            return b.seq(b.lit("\""), RegexCompiler.compile(b, regex), b.lit("\""));
        } catch (ConstraintException e) {
            throw err(at, e.getMessage());
        }
    }

    private BigDecimal bound(JsonNode s, String key, String ptr) {
        JsonNode v = s.get(key);
        if (v == null) return null;
        if (!v.isNumber()) throw err(ptr + "/" + key, "must be a number" + (v.isBoolean() ? " (the draft-4 boolean form is not supported)" : ""));
        if ((v.isDouble() || v.isFloat()) && !Double.isFinite(v.doubleValue())) throw err(ptr + "/" + key, "must be finite");
        return v.decimalValue();
    }

    /** Bounds beyond what a generated number can express are clamped (or refused when nothing remains). */
    private static final BigDecimal HUGE = BigDecimal.TEN.pow(JsonTerms.MAX_NUMBER_CHARS + 1);

    private int number(JsonNode s, String ptr, boolean integer) {
        BigDecimal lo = bound(s, "minimum", ptr), hi = bound(s, "maximum", ptr);
        BigDecimal xlo = bound(s, "exclusiveMinimum", ptr), xhi = bound(s, "exclusiveMaximum", ptr);
        boolean loEx = false, hiEx = false;
        if (xlo != null && (lo == null || xlo.compareTo(lo) >= 0)) { lo = xlo; loEx = true; }
        if (xhi != null && (hi == null || xhi.compareTo(hi) <= 0)) { hi = xhi; hiEx = true; }
        int scale = JsonTerms.MAX_NUMBER_CHARS;
        if (lo != null && lo.compareTo(HUGE) > 0) throw err(ptr, "the lower bound " + lo + " is beyond any number of " + scale + " characters");
        if (hi != null && hi.compareTo(HUGE.negate()) < 0) throw err(ptr, "the upper bound " + hi + " is beyond any number of " + scale + " characters");
        if (lo != null && lo.compareTo(HUGE.negate()) < 0) lo = null;
        if (hi != null && hi.compareTo(HUGE) > 0) hi = null;
        if (lo != null && lo.scale() > scale) {
            BigDecimal r = lo.setScale(scale, java.math.RoundingMode.CEILING);
            if (r.compareTo(lo) != 0) loEx = false;
            lo = r;
        }
        if (hi != null && hi.scale() > scale) {
            BigDecimal r = hi.setScale(scale, java.math.RoundingMode.FLOOR);
            if (r.compareTo(hi) != 0) hiEx = false;
            hi = r;
        }
        NumberRange r = new NumberRange(integer, lo, loEx, hi, hiEx, JsonTerms.MAX_NUMBER_CHARS);
        if (!r.live("")) throw err(ptr, "no " + (integer ? "integer" : "number") + " of at most " + JsonTerms.MAX_NUMBER_CHARS + " characters lies within the bounds");
        return t.number(r);
    }

    private int object(JsonNode s, String ptr) {
        JsonNode props = s.get("properties");
        if (props != null && !props.isObject()) throw err(ptr + "/properties", "must be an object");
        Map<String, Integer> values = new LinkedHashMap<>();
        if (props != null) {
            for (Iterator<Map.Entry<String, JsonNode>> it = props.fields(); it.hasNext(); ) {
                var e = it.next();
                values.put(e.getKey(), schema(e.getValue(), ptr + "/properties/" + esc(e.getKey())));
            }
        }
        Set<String> required = new LinkedHashSet<>();
        JsonNode req = s.get("required");
        if (req != null) {
            if (!req.isArray()) throw err(ptr + "/required", "must be an array of strings");
            for (JsonNode r : req) {
                if (!r.isTextual()) throw err(ptr + "/required", "must be an array of strings");
                required.add(r.asText());
            }
        }
        JsonNode add = s.get("additionalProperties");
        int extra = -1;
        if (add != null && !(add.isBoolean() && !add.asBoolean())) extra = schema(add, ptr + "/additionalProperties");
        for (String r : required) {
            if (!values.containsKey(r)) {
                if (extra < 0) throw err(ptr + "/required", "'" + r + "' is required but not among the properties and additionalProperties is not allowed");
                values.put(r, extra);
            }
        }
        int limit = b.limits().maxStacks() / 2;
        if (values.size() > limit) throw err(ptr + "/properties", "more than " + limit + " properties");
        List<String> names = new ArrayList<>(values.keySet());
        int n = names.size();
        int[] member = new int[n];
        for (int i = 0; i < n; i++) {
            String key;
            try {
                key = JSON.writeValueAsString(names.get(i));
            } catch (JsonProcessingException e) {
                throw err(ptr, e.getOriginalMessage());
            }
            member[i] = b.seq(b.lit(key + ":"), t.ws(), values.get(names.get(i)));
        }
        int extraMember = extra < 0 ? -1 : b.seq(t.stringExcept(names), b.lit(":"), t.ws(), extra);
        int tail = extraMember < 0 ? b.empty() : b.rep(b.seq(t.comma(), extraMember), 0, Grammar.INF);
        int[] tails = new int[n + 1];
        tails[n] = tail;
        for (int i = n - 1; i >= 0; i--) {
            int with = b.seq(t.comma(), member[i], tails[i + 1]);
            tails[i] = required.contains(names.get(i)) ? with : b.alt(with, tails[i + 1]);
        }
        List<Integer> starts = new ArrayList<>();
        boolean allOptional = true;
        for (int i = 0; i < n; i++) {
            starts.add(b.seq(member[i], tails[i + 1]));
            if (required.contains(names.get(i))) {
                allOptional = false;
                break;
            }
        }
        if (allOptional && extraMember >= 0) starts.add(b.seq(extraMember, tail));
        int close = b.lit("}");
        if (starts.isEmpty()) return b.seq(b.lit("{"), t.ws(), close);
        int body = b.seq(b.alt(starts), t.ws(), close);
        return b.seq(b.lit("{"), t.ws(), allOptional ? b.alt(close, body) : body);
    }

    private int array(JsonNode s, String ptr) {
        List<Integer> prefixNodes = new ArrayList<>();
        JsonNode prefixItems = s.get("prefixItems"), items = s.get("items");
        String prefixPtr = ptr + "/prefixItems";
        if (items != null && items.isArray()) { // draft-07 tuple form
            if (prefixItems != null) throw err(ptr + "/items", "items as an array together with prefixItems");
            prefixItems = items;
            prefixPtr = ptr + "/items";
            items = null;
        }
        if (prefixItems != null) {
            if (!prefixItems.isArray()) throw err(prefixPtr, "must be an array of schemas");
            for (int i = 0; i < prefixItems.size(); i++) prefixNodes.add(schema(prefixItems.get(i), prefixPtr + "/" + i));
        }
        int rest = items == null ? t.anyValue() : schema(items, ptr + "/items");
        boolean restNone = items != null && items.isBoolean() && !items.asBoolean();
        int mn = count(s, "minItems", ptr, 0), mx = count(s, "maxItems", ptr, Grammar.INF);
        if (mn > mx) throw err(ptr + "/minItems", "minItems " + mn + " is above maxItems " + mx);
        int k = prefixNodes.size();
        if (restNone && mn > k) throw err(ptr + "/minItems", "minItems " + mn + " but only " + k + " items are allowed");
        int open = b.lit("["), close = b.lit("]");
        if (mx == 0) return b.seq(open, t.ws(), close);
        int s0 = Math.max(k, 1);
        int chain;
        if (s0 >= mx) chain = b.empty();
        else if (restNone) chain = b.empty();
        else chain = b.rep(b.seq(t.comma(), rest), Math.max(0, mn - s0), mx == Grammar.INF ? Grammar.INF : mx - s0);
        for (int i = s0 - 1; i >= 1; i--) {
            if (i >= mx) { chain = b.empty(); continue; }
            int more = b.seq(t.comma(), prefixNodes.get(i), chain);
            chain = i >= mn ? b.optional(more) : more;
        }
        int first = k > 0 ? prefixNodes.get(0) : restNone ? b.none() : rest;
        int body = b.seq(b.seq(first, chain), t.ws(), close);
        return b.seq(open, t.ws(), mn == 0 ? b.alt(close, body) : body);
    }
}
