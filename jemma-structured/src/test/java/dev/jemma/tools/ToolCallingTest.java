package dev.jemma.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import dev.jemma.Jemma;
import dev.jemma.generate.ChatMessage;
import dev.jemma.generate.FinishReason;
import dev.jemma.generate.GenerationResult;
import dev.jemma.generate.SamplingParams;
import dev.jemma.generate.Session;
import dev.jemma.generate.TextListener;
import dev.jemma.testutil.Assets;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** Acceptance (d): tool-call envelopes for named/required/auto, arguments valid against the tool schema, unique ids. */
class ToolCallingTest {
    static final ObjectMapper M = new ObjectMapper();
    static final String TOOLS = """
            [{"type":"function","function":{"name":"get_weather","description":"Current weather in a city",
              "parameters":{"type":"object","properties":{"city":{"type":"string","maxLength":20},
                "unit":{"enum":["celsius","fahrenheit"]}},"required":["city"]}}},
             {"type":"function","function":{"name":"add","description":"Add two integers",
              "parameters":{"type":"object","properties":{"a":{"type":"integer","minimum":-1000,"maximum":1000},
                "b":{"type":"integer","minimum":-1000,"maximum":1000}},"required":["a","b"],"additionalProperties":false}}}]""";

    static List<ToolDefinition> tools() throws Exception {
        return ToolDefinition.fromOpenAi(M.readTree(TOOLS));
    }

    @Test
    void envelopeGrammarFollowsToolChoice() throws Exception {
        ToolCalling auto = ToolCalling.of(tools(), ToolChoice.AUTO);
        assertTrue(auto.grammar().matches("{\"tool_calls\":[{\"name\":\"add\",\"arguments\":{\"a\":1,\"b\":2}}]}"));
        assertTrue(auto.grammar().matches("{\"response\":\"hi\"}"));
        assertFalse(auto.grammar().matches("{\"tool_calls\":[{\"name\":\"add\",\"arguments\":{\"a\":1}}]}"));
        assertFalse(auto.grammar().matches("{\"tool_calls\":[{\"name\":\"sub\",\"arguments\":{}}]}"));
        ToolCalling req = ToolCalling.of(tools(), ToolChoice.REQUIRED);
        assertFalse(req.grammar().matches("{\"response\":\"hi\"}"));
        assertTrue(req.grammar().matches("{\"tool_calls\":[{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Oslo\"}},{\"name\":\"add\",\"arguments\":{\"a\":1,\"b\":2}}]}"));
        ToolCalling named = ToolCalling.of(tools(), ToolChoice.fromOpenAi(M.readTree("{\"type\":\"function\",\"function\":{\"name\":\"add\"}}")));
        assertFalse(named.grammar().matches("{\"tool_calls\":[{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Oslo\"}}]}"));
        assertTrue(named.grammar().matches("{\"tool_calls\":[{\"name\":\"add\",\"arguments\":{\"a\":1,\"b\":2}}]}"));
        assertNull(ToolCalling.of(tools(), ToolChoice.NONE).grammar());
        assertTrue(auto.systemPrompt().contains("get_weather"));
    }

    @Test
    void badToolListsFailNamingTheTool() throws Exception {
        ToolException e = assertThrows(ToolException.class, () -> ToolCalling.of(ToolDefinition.fromOpenAi(M.readTree("""
                [{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"x":{"type":"string","pattern":"(?=a)"}}}}}]""")), ToolChoice.AUTO));
        assertEquals("/tools/0/function/parameters/properties/x/pattern", e.pointer());
        e = assertThrows(ToolException.class, () -> ToolDefinition.fromOpenAi(M.readTree(
                "[{\"type\":\"function\",\"function\":{\"name\":\"f\"}},{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]")));
        assertEquals("/tools/1/function/name", e.pointer());
        e = assertThrows(ToolException.class, () -> ToolDefinition.fromOpenAi(M.readTree(
                "[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"string\"}}}]")));
        assertEquals("/tools/0/function/parameters", e.pointer());
        StringBuilder many = new StringBuilder("[");
        for (int i = 0; i < 10_000; i++) many.append(i == 0 ? "" : ",").append("{\"type\":\"function\",\"function\":{\"name\":\"f").append(i).append("\"}}");
        long t0 = System.nanoTime();
        assertThrows(ToolException.class, () -> ToolDefinition.fromOpenAi(M.readTree(many + "]")));
        assertTrue(System.nanoTime() - t0 < 2_000_000_000L);
        assertThrows(ToolException.class, () -> ToolCalling.of(tools(), ToolChoice.named("nope")));
        // recursive $ref and a huge maxLength in a tool schema: compiled with counters, no error
        ToolCalling ok = ToolCalling.of(ToolDefinition.fromOpenAi(M.readTree("""
                [{"type":"function","function":{"name":"t","parameters":{"type":"object","properties":{
                  "s":{"type":"string","maxLength":1000000000},"n":{"$ref":"#/properties/node"},
                  "node":{"type":"object","properties":{"k":{"type":"array","items":{"$ref":"#/properties/node"}}}}}}}}]""")), ToolChoice.REQUIRED);
        assertNotNull(ok.grammar());
    }

    @Test
    void parsesEnvelopesAndPythonicCalls() throws Exception {
        ToolCalling auto = ToolCalling.of(tools(), ToolChoice.AUTO);
        ToolResponse r = auto.parse("{\"tool_calls\":[{\"name\":\"add\",\"arguments\":{\"a\":1,\"b\":2}},{\"name\":\"add\",\"arguments\":{\"a\":3,\"b\":4}}]}");
        assertEquals(2, r.toolCalls().size());
        assertNotEquals(r.toolCalls().get(0).id(), r.toolCalls().get(1).id());
        assertEquals("{\"a\":1,\"b\":2}", r.toolCalls().get(0).arguments());
        assertEquals("hi", auto.parse("{\"response\":\"hi\"}").content());
        ToolResponse py = auto.parse("```tool_code\n[get_weather(city='Paris', unit=\"celsius\"), add(a=1, b=-2)]\n```");
        assertEquals(2, py.toolCalls().size());
        assertEquals("{\"city\":\"Paris\",\"unit\":\"celsius\"}", py.toolCalls().get(0).arguments());
        assertEquals("{\"a\":1,\"b\":-2}", py.toolCalls().get(1).arguments());
        assertFalse(auto.parse("I would print(x) here").hasToolCalls());
        assertFalse(auto.parse("[unknown(a=1)]").hasToolCalls());
    }

    @Test
    void toolResultsGoBackThroughTheChatTemplate() throws Exception {
        ToolCalling auto = ToolCalling.of(tools(), ToolChoice.AUTO);
        List<ChatMessage> chat = auto.render(List.of(
                ToolCalling.Message.of("system", "Be brief."),
                ToolCalling.Message.of("user", "Weather in Oslo?"),
                new ToolCalling.Message("assistant", null, List.of(new ToolCall("call_1", "get_weather", "{\"city\":\"Oslo\"}")), null),
                new ToolCalling.Message("tool", "{\"temp\":3}", List.of(), "call_1")));
        assertEquals(ChatMessage.Role.SYSTEM, chat.get(0).role());
        assertTrue(chat.get(0).content().startsWith("Be brief."));
        assertEquals("{\"tool_calls\":[{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Oslo\"}}]}", chat.get(2).content());
        assertEquals(ChatMessage.Role.USER, chat.get(3).role());
        assertTrue(chat.get(3).content().contains("<tool_response>") && chat.get(3).content().contains("call_1"));
    }

    @Test
    void realModelCallsValidateAgainstTheToolSchemas() throws Exception {
        var factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
        Map<String, JsonNode> schemas = Map.of("get_weather", tools().get(0).parameters(), "add", tools().get(1).parameters());
        Set<String> ids = new HashSet<>();
        int calls = 0, finished = 0;
        try (Jemma jemma = Jemma.builder().model(Assets.realModel()).threads(2).contextLength(1024).build();
             Session s = jemma.newSession()) {
            for (ToolChoice choice : List.of(ToolChoice.named("add"), ToolChoice.REQUIRED, ToolChoice.AUTO)) {
                ToolCalling tc = ToolCalling.of(tools(), choice);
                List<ChatMessage> prompt = tc.render(List.of(ToolCalling.Message.of("user", "What is 2 plus 40? And the weather in Oslo?")));
                for (int seed = 0; seed < 4; seed++) {
                    GenerationResult r = s.chat(prompt, SamplingParams.GEMMA_DEFAULTS.withSeed(seed).withMaxTokens(80),
                            tc.grammar().constraint(jemma.tokenizer()), TextListener.NONE);
                    if (r.finishReason() != FinishReason.STOP) continue;
                    finished++;
                    ToolResponse resp = tc.parse(r.text());
                    if (choice.mode() != ToolChoice.Mode.AUTO) assertTrue(resp.hasToolCalls(), r.text());
                    for (ToolCall c : resp.toolCalls()) {
                        if (choice.mode() == ToolChoice.Mode.NAMED) assertEquals("add", c.name());
                        assertTrue(ids.add(c.id()), "duplicate id " + c.id());
                        var errors = factory.getSchema(schemas.get(c.name())).validate(M.readTree(c.arguments()));
                        assertTrue(errors.isEmpty(), c + " " + errors);
                        calls++;
                    }
                }
            }
        }
        System.out.println("tool calling on the real 270M: " + finished + " of 12 finished, " + calls + " calls, all valid, ids unique");
        assertTrue(finished >= 6, "finished " + finished);
    }
}
