package dev.jemma.train.eval;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ScorerTest {
    private static final String WANT = "{\"name\":\"Ada Lovelace\",\"company\":null,\"city\":\"London\",\"n\":1}";

    @Test
    void anIdenticalAnswerIsRightEverywhere() {
        Scorer s = new Scorer();
        ExampleScore e = s.add(WANT, "  " + WANT + "\n");
        assertTrue(e.exactMatch(), "surrounding whitespace is ignored");
        assertTrue(e.validJson());
        assertTrue(e.recordRight());
        Score r = s.result();
        assertEquals(1.0, r.exactMatch());
        assertEquals(1.0, r.fieldAccuracy());
        assertEquals(1.0, r.recordAccuracy());
        assertEquals(4, r.fieldsScored());
    }

    @Test
    void keyOrderSpacingAndNumberSpellingAreIrrelevantForFieldsButNotForExactMatch() {
        Scorer s = new Scorer();
        ExampleScore e = s.add(WANT, "{ \"n\": 1.0, \"city\": \"London\", \"company\": null, \"name\": \"Ada Lovelace\" }");
        assertFalse(e.exactMatch());
        assertTrue(e.validJson());
        assertTrue(e.recordRight());
        assertEquals(List.of("name", "company", "city", "n"), e.fieldsRight(), "in the expected object's order");
    }

    @Test
    void aMissingKeyCountsAsNullAndExtraKeysAreNotScored() {
        Scorer s = new Scorer();
        ExampleScore e = s.add(WANT, "{\"name\":\"Ada Lovelace\",\"city\":\"Paris\",\"n\":1,\"email\":\"a@b.c\"}");
        assertEquals(List.of("name", "company", "n"), e.fieldsRight(), "company: absent where null was expected is right");
        assertEquals(List.of("city"), e.fieldsWrong());
        assertFalse(e.recordRight());
        ExampleScore missingValue = s.add(WANT, "{\"company\":null,\"city\":\"London\",\"n\":1}");
        assertEquals(List.of("name"), missingValue.fieldsWrong(), "absent where a value was expected is wrong");
    }

    @Test
    void nullIsNotTheStringNullNorAnEmptyString() {
        Scorer s = new Scorer();
        assertEquals(List.of("company"), s.add(WANT, "{\"name\":\"Ada Lovelace\",\"company\":\"null\",\"city\":\"London\",\"n\":1}").fieldsWrong());
        assertEquals(List.of("company"), s.add(WANT, "{\"name\":\"Ada Lovelace\",\"company\":\"\",\"city\":\"London\",\"n\":1}").fieldsWrong());
        assertEquals(List.of("name"), s.add(WANT, "{\"name\":null,\"company\":null,\"city\":\"London\",\"n\":1}").fieldsWrong());
    }

    @Test
    void invalidJsonGetsEveryFieldWrong() {
        Scorer s = new Scorer();
        for (String bad : new String[] {"{\"name\":\"Ada Lovelace\",", "The name is Ada.", "", WANT + " and more",
                "{\"name\":\"Ada\",\"name\":\"Ada\"}"}) {
            ExampleScore e = s.add(WANT, bad);
            assertFalse(e.validJson(), bad);
            assertEquals(4, e.fieldsWrong().size(), bad);
        }
        Score r = s.result();
        assertEquals(0.0, r.validJson());
        assertEquals(0.0, r.fieldAccuracy());
        assertEquals(0.0, r.recordAccuracy());
    }

    @Test
    void validJsonThatIsNotAnObjectIsValidButScoresNoField() {
        Scorer s = new Scorer();
        ExampleScore e = s.add(WANT, "[\"Ada Lovelace\"]");
        assertTrue(e.validJson());
        assertEquals(4, e.fieldsWrong().size());
    }

    @Test
    void totalsAndPerFieldRatesOverSeveralExamples() {
        Scorer s = new Scorer();
        s.add("{\"a\":1,\"b\":2}", "{\"a\":1,\"b\":2}");
        s.add("{\"a\":1,\"b\":2}", "{\"a\":1,\"b\":3}");
        s.add("{\"a\":1,\"c\":[1,{\"x\":true}]}", "{\"c\":[1,{\"x\":true}],\"a\":0}");
        s.add("plain text answer", "plain text answer");
        Score r = s.result();
        assertEquals(4, r.examples());
        assertEquals(0.5, r.exactMatch());
        assertEquals(0.75, r.validJson(), "'plain text answer' is not JSON");
        assertEquals(3, r.recordsScored(), "only object answers are scored by field");
        assertEquals(6, r.fieldsScored());
        assertEquals(4.0 / 6, r.fieldAccuracy(), 1e-12);
        assertEquals(1.0 / 3, r.recordAccuracy(), 1e-12);
        assertEquals(Map.of("a", 2.0 / 3, "b", 0.5, "c", 1.0), r.perField());
        assertEquals(List.of("a", "b", "c"), List.copyOf(r.perField().keySet()));
        String json = r.toJson().toString();
        assertTrue(json.startsWith("{\"examples\":4,\"exact_match\":0.5,\"valid_json\":0.75,\"field_accuracy\":{\"overall\":0.6667,"
                + "\"fields\":{\"a\":0.6667,\"b\":0.5,\"c\":1.0}},\"record_accuracy\":0.3333"), json);
    }

    @Test
    void withNoObjectAnswersFieldAndRecordAccuracyAreNull() {
        Scorer s = new Scorer();
        s.add("4", "4");
        Score r = s.result();
        assertNull(r.fieldAccuracy());
        assertNull(r.recordAccuracy());
        assertTrue(r.toJson().get("record_accuracy").isNull());
    }
}
