package dev.jemma.constrain;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** GBNF as llama.cpp users write it. */
class GbnfParserTest {
    static final String JSON_GBNF = """
            root   ::= object
            value  ::= object | array | string | number | ("true" | "false" | "null") ws

            object ::=
              "{" ws (
                        string ":" ws value
                ("," ws string ":" ws value)*
              )? "}" ws

            array  ::=
              "[" ws (
                        value
                ("," ws value)*
              )? "]" ws

            string ::=
              "\\"" (
                [^"\\\\\\x7F\\x00-\\x1F] |
                "\\\\" (["\\\\/bfnrt] | "u" [0-9a-fA-F]{4}) # escapes
              )* "\\"" ws

            number ::= ("-"? ([0-9] | [1-9] [0-9]{0,15})) ("." [0-9]+)? ([eE] [-+]? [0-9] [1-9]{0,15})? ws

            # Optional space: by convention, applied in this grammar after literal chars when allowed
            ws ::= | " " | "\\n" [ \\t]{0,20}
            """;

    @Test
    void llamaCppJsonGrammar() {
        Grammar g = GbnfParser.parse(JSON_GBNF);
        assertTrue(g.matches("{\"a\": [1, 2.5, \"x\\u00e9\"], \"b\": {\"c\": null}}"));
        assertTrue(g.matches("{}"));
        assertFalse(g.matches("{\"a\" 1}"));
        assertFalse(g.matches("[1]"));
    }

    @Test
    void classesRepetitionAndUnicode() {
        Grammar g = GbnfParser.parse("root ::= [a-zа-я]{2,4} \"-\" num\nnum ::= [0-9]+ | \"∞\"");
        assertTrue(g.matches("ab-12"));
        assertTrue(g.matches("дом-∞"));
        assertFalse(g.matches("a-1"));
        assertFalse(g.matches("abcde-1"));
        Grammar neg = GbnfParser.parse("root ::= [^x]* \"x\"\n");
        assertTrue(neg.matches("héllo x"));
        assertFalse(neg.matches("xx"));
        Grammar dot = GbnfParser.parse("root ::= . .\n  | \"z\"");
        assertTrue(dot.matches("日本"));
        assertTrue(dot.matches("z"));
    }

    @Test
    void errorsNameTheLine() {
        GrammarException e = assertThrows(GrammarException.class, () -> GbnfParser.parse("root ::= a\na ::= \"x\" b\n"));
        assertTrue(e.getMessage().contains("'b'"), e.getMessage());
        e = assertThrows(GrammarException.class, () -> GbnfParser.parse("root ::= \"x\"\nroot ::= \"y\""));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
        assertThrows(GrammarException.class, () -> GbnfParser.parse("rot ::= \"x\""));
        assertThrows(GrammarException.class, () -> GbnfParser.parse("root ::= \"x"));
        assertThrows(GrammarException.class, () -> GbnfParser.parse("root ::= [a-"));
        assertThrows(GrammarException.class, () -> GbnfParser.parse("root ::= (\"a\" | \"b\""));
    }
}
