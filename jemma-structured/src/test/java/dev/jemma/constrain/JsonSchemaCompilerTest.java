package dev.jemma.constrain;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Hand-picked acceptance and rejection cases for the schema subset (the property test covers random ones). */
class JsonSchemaCompilerTest {
    static Grammar g(String schema) {
        return JsonSchemaCompiler.compile(schema);
    }

    @Test
    void objectsInDeclaredOrderWithOptionalMembers() {
        Grammar g = g("""
                {"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string","maxLength":3},"c":{"type":"boolean"}},
                 "required":["b"]}""");
        assertTrue(g.matches("{\"b\":\"xyz\"}"));
        assertTrue(g.matches("{\"a\":12,\"b\":\"\"}"));
        assertTrue(g.matches("{ \"a\": -3, \"b\": \"q\", \"c\": true }"));
        assertTrue(g.matches("{\"b\":\"q\",\"c\":false}"));
        assertFalse(g.matches("{\"a\":1}"));
        assertFalse(g.matches("{\"b\":\"long\"}"));
        assertFalse(g.matches("{\"b\":\"x\",\"a\":1}"));
        assertFalse(g.matches("{\"b\":\"x\",\"d\":1}"));
        assertFalse(g.matches("{\"a\":1.5,\"b\":\"x\"}"));
    }

    @Test
    void stringsEscapesAndUnicode() {
        Grammar g = g("{\"type\":\"string\",\"minLength\":2,\"maxLength\":4}");
        assertTrue(g.matches("\"日本\""));
        assertTrue(g.matches("\"\\n\\\"a\""));
        assertTrue(g.matches("\"\\u00e9é\""));
        assertFalse(g.matches("\"é\""));
        assertFalse(g.matches("\"abcde\""));
        assertFalse(g.matches("\"a\nb\""));
        assertFalse(g.matches("\"\\ud800x\""));
    }

    @Test
    void numbersWithinBounds() {
        Grammar g = g("{\"type\":\"number\",\"minimum\":-1.5,\"exclusiveMaximum\":10}");
        assertTrue(g.matches("-1.5"));
        assertTrue(g.matches("9.999"));
        assertTrue(g.matches("0"));
        assertFalse(g.matches("10"));
        assertFalse(g.matches("-1.51"));
        assertFalse(g.matches("01"));
        Grammar i = g("{\"type\":\"integer\",\"minimum\":100,\"maximum\":200}");
        assertTrue(i.matches("150"));
        assertFalse(i.matches("99"));
        assertFalse(i.matches("150.0"));
        GrammarMatcher m = i.matcher();
        assertTrue(m.advance('1'));
        assertFalse(m.allows('-'));
        assertFalse(m.copy().advance('3') && false);
        assertTrue(m.advance('0'));
        assertFalse(m.canFinish());
        assertTrue(m.advance('0'));
        assertTrue(m.canFinish());
        assertFalse(m.allows('0')); // 1000 > 200
    }

    @Test
    void arraysEnumsRefsAndChoices() {
        Grammar g = g("""
                {"$defs":{"p":{"type":"object","properties":{"x":{"enum":["a","b",3,null]}},"required":["x"]}},
                 "type":"array","items":{"$ref":"#/$defs/p"},"minItems":1,"maxItems":2}""");
        assertTrue(g.matches("[{\"x\":\"a\"}]"));
        assertTrue(g.matches("[{\"x\":3},{\"x\":null}]"));
        assertFalse(g.matches("[]"));
        assertFalse(g.matches("[{\"x\":\"a\"},{\"x\":\"a\"},{\"x\":\"a\"}]"));
        assertFalse(g.matches("[{\"x\":\"c\"}]"));
        Grammar a = g("{\"anyOf\":[{\"type\":\"string\",\"pattern\":\"^[a-c]+$\"},{\"type\":\"null\"}]}");
        assertTrue(a.matches("\"abc\""));
        assertTrue(a.matches("null"));
        assertFalse(a.matches("\"abd\""));
        Grammar tuple = g("{\"type\":\"array\",\"prefixItems\":[{\"type\":\"integer\"},{\"type\":\"string\"}],\"items\":false}");
        assertTrue(tuple.matches("[1,\"a\"]"));
        assertTrue(tuple.matches("[1]"));
        assertTrue(tuple.matches("[]"));
        assertFalse(tuple.matches("[1,\"a\",2]"));
    }

    @Test
    void recursiveRefsAndAdditionalProperties() {
        Grammar tree = g("""
                {"type":"object","properties":{"v":{"type":"integer"},"kids":{"type":"array","items":{"$ref":"#"}}},"required":["v"]}""");
        assertTrue(tree.matches("{\"v\":1,\"kids\":[{\"v\":2},{\"v\":3,\"kids\":[]}]}"));
        Grammar map = g("{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"integer\"}},\"additionalProperties\":{\"type\":\"boolean\"}}");
        assertTrue(map.matches("{\"id\":1,\"x\":true}"));
        assertTrue(map.matches("{\"i\":true,\"idx\":false}"));
        assertFalse(map.matches("{\"id\":1,\"id\":true}"));
        assertFalse(map.matches("{\"x\":true,\"id\":1}"));
    }

    @Test
    void formatsAndPatterns() {
        assertTrue(g("{\"type\":\"string\",\"format\":\"date\"}").matches("\"2024-02-28\""));
        assertFalse(g("{\"type\":\"string\",\"format\":\"date\"}").matches("\"2024-02-30\""));
        assertTrue(g("{\"type\":\"string\",\"format\":\"date-time\"}").matches("\"2024-12-31T23:59:59.5+01:00\""));
        assertTrue(g("{\"type\":\"string\",\"format\":\"uuid\"}").matches("\"123e4567-e89b-12d3-a456-426614174000\""));
        Grammar p = g("{\"type\":\"string\",\"pattern\":\"ab+c\"}");
        assertTrue(p.matches("\"xxabbbcyy\""));
        assertFalse(p.matches("\"xxacyy\""));
        Grammar q = g("{\"type\":\"string\",\"pattern\":\"^[\\\\w.]{2,5}@x\\\\.(com|org)$\"}");
        assertTrue(q.matches("\"a.b@x.org\""));
        assertFalse(q.matches("\"a@x.org\""));
    }

    @Test
    void unsupportedKeywordsAreNamedByPointer() {
        SchemaException e = assertThrows(SchemaException.class,
                () -> g("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"uniqueItems\":true}}}"));
        assertEquals("/properties/a/uniqueItems", e.pointer());
        e = assertThrows(SchemaException.class, () -> g("{\"type\":\"string\",\"pattern\":\"(a)\\\\1\"}"));
        assertEquals("/pattern", e.pointer());
        e = assertThrows(SchemaException.class, () -> g("{\"type\":\"string\",\"format\":\"email\"}"));
        assertEquals("/format", e.pointer());
        e = assertThrows(SchemaException.class, () -> g("{\"oneOf\":[{\"type\":\"number\"},{\"type\":\"integer\"}]}"));
        assertEquals("/oneOf", e.pointer());
        e = assertThrows(SchemaException.class, () -> g("{\"$ref\":\"#/$defs/missing\"}"));
        assertEquals("/$ref", e.pointer());
        assertThrows(SchemaException.class, () -> g("[1,2]"));
        assertThrows(SchemaException.class, () -> g("{\"$ref\":\"#\"}"));
    }
}
