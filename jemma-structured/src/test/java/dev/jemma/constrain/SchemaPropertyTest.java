package dev.jemma.constrain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Acceptance (b): for random schemas of the subset, every string the automaton accepts is valid JSON that an
 * independent validator (networknt json-schema-validator, draft 2020-12, formats asserted) accepts, and random
 * valid instances are accepted by the automaton.
 */
class SchemaPropertyTest {
    static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
    static final SchemaValidatorsConfig CONFIG = SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();

    @Test
    void acceptedStringsValidateAndValidInstancesAreAccepted() throws Exception {
        Random r = new Random(20261124);
        RandomSchemas gen = new RandomSchemas(r);
        int schemas = 400, accepted = 0, instances = 0;
        for (int i = 0; i < schemas; i++) {
            ObjectNode schema = gen.root();
            Grammar g;
            try {
                g = JsonSchemaCompiler.compile(schema, ConstraintLimits.DEFAULT);
            } catch (SchemaException e) {
                throw new AssertionError(schema.toString(), e);
            }
            JsonSchema validator = FACTORY.getSchema(schema, CONFIG);
            for (int k = 0; k < 15; k++) {
                String s = randomSentence(g, r);
                if (s == null) continue;
                JsonNode n;
                try {
                    n = RandomSchemas.M.readTree(s);
                } catch (Exception e) {
                    fail("accepted text is not JSON: " + s + "\nschema " + schema, e);
                    return;
                }
                Set<ValidationMessage> errors = validator.validate(n);
                assertTrue(errors.isEmpty(), "accepted but invalid: " + RandomSchemas.M.writeValueAsString(s) + "\nschema " + schema + "\n" + errors);
                accepted++;
            }
            for (int k = 0; k < 15; k++) {
                JsonNode inst = gen.instance(schema, schema);
                assertTrue(validator.validate(inst).isEmpty(), "generator bug: " + inst + " for " + schema);
                String text = RandomSchemas.M.writeValueAsString(inst);
                assertTrue(g.matches(text), "valid instance rejected: " + text + "\nschema " + schema);
                instances++;
            }
        }
        System.out.println("property test: " + schemas + " schemas, " + accepted + " accepted strings validated, "
                + instances + " valid instances accepted");
        assertTrue(accepted > schemas * 5, "too few sentences completed: " + accepted);
    }

    /** A random sentence of the grammar: random allowed bytes, nudged towards closing as it grows; null if too long. */
    static String randomSentence(Grammar g, Random r) {
        GrammarMatcher m = g.matcher();
        List<Integer> allowed = new ArrayList<>();
        List<Integer> closing = new ArrayList<>();
        byte[] out = new byte[600];
        int n = 0;
        while (n < out.length) {
            if (m.canFinish() && (r.nextInt(4) == 0 || !m.canContinue())) {
                return new String(out, 0, n, StandardCharsets.UTF_8);
            }
            allowed.clear();
            closing.clear();
            for (int b = 0; b < 256; b++) {
                if (!m.allows(b)) continue;
                allowed.add(b);
                if (b == '"' || b == '}' || b == ']' || b == ',' || (b >= '0' && b <= '9')) closing.add(b);
            }
            List<Integer> pool = n > 40 && !closing.isEmpty() && r.nextInt(10) < 8 ? closing : allowed;
            // prefer ASCII so strings stay readable, but keep some multi-byte characters
            int b = pool.get(r.nextInt(pool.size()));
            if (b >= 0x80 && r.nextInt(3) != 0) {
                List<Integer> ascii = pool.stream().filter(x -> x < 0x80).toList();
                if (!ascii.isEmpty()) b = ascii.get(r.nextInt(ascii.size()));
            }
            assertTrue(m.advance(b));
            out[n++] = (byte) b;
        }
        return null;
    }
}
