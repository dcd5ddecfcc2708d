package dev.jemma.constrain;

import dev.jemma.generate.ConstraintException;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Schema and grammar bombs (docs/RELIABILITY.md, "Schema and grammar bombs"): each either compiles quickly with
 * counters or fails fast with a typed error naming the place; none hangs, crashes or runs out of memory (this group
 * runs with a 512 MB heap).
 */
@Tag("reliability")
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class ConstraintBombsTest {

    static void fast(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 2_000, "took " + ms + " ms");
    }

    @Test
    void hugeRepetitionBoundsAreCountersNotCopies() {
        fast(() -> {
            Grammar s = JsonSchemaCompiler.compile("{\"type\":\"string\",\"maxLength\":1000000000}");
            assertTrue(s.size() < 20);
            assertTrue(s.matches("\"" + "x".repeat(100_000) + "\""));
            Grammar a = JsonSchemaCompiler.compile("{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"minItems\":3,\"maxItems\":1000000}");
            assertTrue(a.size() < 40);
            assertTrue(a.matches("[1,2,3]"));
            assertFalse(a.matches("[1,2]"));
            JsonSchemaCompiler.compile("{\"type\":\"string\",\"minLength\":1e12}");
            Grammar g = GbnfParser.parse("root ::= \"a\"{0,1000000000} ((\"b\"{1,1000}){1,1000}){0,1000} \"c\"");
            assertTrue(g.matches("aaab" + "c"));
        });
    }

    @Test
    void catastrophicBacktrackingPatternsRunInLinearTime() {
        fast(() -> {
            Grammar g = JsonSchemaCompiler.compile("{\"type\":\"string\",\"pattern\":\"^(a+)+$\"}");
            assertFalse(g.matches("\"" + "a".repeat(50_000) + "!\""));
            assertTrue(g.matches("\"" + "a".repeat(50_000) + "\""));
            Grammar h = JsonSchemaCompiler.compile("{\"type\":\"string\",\"pattern\":\"(x+x+)+y\"}");
            assertFalse(h.matches("\"" + "x".repeat(20_000) + "\""));
        });
    }

    @Test
    void recursionWithoutProgressIsRefused() {
        fast(() -> {
            assertThrows(SchemaException.class, () -> JsonSchemaCompiler.compile("{\"$ref\":\"#\"}"));
            assertThrows(SchemaException.class, () -> JsonSchemaCompiler.compile(
                    "{\"$defs\":{\"a\":{\"$ref\":\"#/$defs/b\"},\"b\":{\"$ref\":\"#/$defs/a\"}},\"$ref\":\"#/$defs/a\"}"));
            // every instance would be infinite: nothing can satisfy it
            assertThrows(SchemaException.class, () -> JsonSchemaCompiler.compile(
                    "{\"type\":\"object\",\"properties\":{\"x\":{\"$ref\":\"#\"}},\"required\":[\"x\"]}"));
            assertThrows(GrammarException.class, () -> GbnfParser.parse("root ::= root \"a\" | \"b\""));
            assertThrows(GrammarException.class, () -> GbnfParser.parse("root ::= x\nx ::= y? x \"a\"\ny ::= \"b\""));
            assertThrows(GrammarException.class, () -> GbnfParser.parse("root ::= (\"a\"?)*"));
        });
    }

    @Test
    void deepNestingFailsWithATypedError() {
        fast(() -> {
            String deep = "{\"items\":".repeat(100_000) + "{}" + "}".repeat(100_000);
            assertThrows(SchemaException.class, () -> JsonSchemaCompiler.compile(deep));
            String deep200 = "{\"type\":\"array\",\"items\":".repeat(200) + "{}" + "}".repeat(200);
            SchemaException e = assertThrows(SchemaException.class, () -> JsonSchemaCompiler.compile(deep200));
            assertTrue(e.pointer().startsWith("/items/items"), e.pointer());
            assertThrows(GrammarException.class, () -> GbnfParser.parse("root ::= " + "(".repeat(100_000) + "\"a\"" + ")".repeat(100_000)));
            assertThrows(SchemaException.class, () -> JsonSchemaCompiler.compile("{\"type\":\"string\",\"pattern\":\"" + "(".repeat(10_000) + "a" + ")".repeat(10_000) + "\"}"));
        });
    }

    @Test
    void sizeLimitsAreEnforced() {
        StringBuilder e = new StringBuilder("{\"enum\":[");
        for (int i = 0; i < 300_000; i++) e.append(i == 0 ? "" : ",").append('"').append(Integer.toString(i, 36)).append("x\"");
        String bigEnum = e.append("]}").toString();
        fast(() -> {
            SchemaException ex = assertThrows(SchemaException.class, () -> JsonSchemaCompiler.compile(bigEnum));
            assertTrue(ex.getMessage().contains("states") || ex.getMessage().contains("limit"), ex.getMessage());
        });
        String big = "x".repeat(5 << 20);
        fast(() -> assertThrows(SchemaException.class, () -> JsonSchemaCompiler.compile("\"" + big + "\"")));
        fast(() -> assertThrows(GrammarException.class, () -> GbnfParser.parse("root ::= \"" + big + "\"")));
        StringBuilder props = new StringBuilder("{\"type\":\"object\",\"properties\":{");
        for (int i = 0; i < 10_000; i++) props.append(i == 0 ? "" : ",").append("\"p").append(i).append("\":{}");
        String manyProps = props.append("}}").toString();
        fast(() -> assertThrows(SchemaException.class, () -> JsonSchemaCompiler.compile(manyProps)));
    }

    @Test
    void oddButLegalSchemasCompile() {
        fast(() -> {
            assertTrue(JsonSchemaCompiler.compile("{\"type\":\"object\",\"properties\":{}}").matches("{}"));
            assertTrue(JsonSchemaCompiler.compile("{}").matches("[1,{\"a\":null}]"));
            assertTrue(JsonSchemaCompiler.compile("true").matches("\"x\""));
            assertThrows(SchemaException.class, () -> JsonSchemaCompiler.compile("false"));
            assertThrows(SchemaException.class, () -> JsonSchemaCompiler.compile("42"));
            assertThrows(SchemaException.class, () -> JsonSchemaCompiler.compile("{\"type\":\"integer\",\"minimum\":5,\"maximum\":4}"));
            assertThrows(SchemaException.class, () -> JsonSchemaCompiler.compile("{\"type\":\"number\",\"minimum\":1e999999}"));
        });
    }

    @Test
    void ambiguousGrammarsHitTheParseCapNotTheHeap() {
        fast(() -> {
            Grammar g = GbnfParser.parse("root ::= (\"a\"{1,1000}){0,1000} \"b\"");
            GrammarMatcher m = g.matcher();
            assertThrows(ConstraintException.class, () -> {
                for (int i = 0; i < 10_000; i++) m.advance('a');
            });
        });
    }
}
