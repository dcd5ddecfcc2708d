package dev.jemma.train.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Every way a training file can be wrong gives one TrainingDataException naming the file, the line and the fault. */
class TrainingDataErrorsTest {
    @TempDir Path dir;

    private static final String GOOD = "{\"text\":\"hello\"}";

    private Path file(String... lines) throws IOException {
        Path p = dir.resolve("train.jsonl");
        Files.writeString(p, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
        return p;
    }

    private TrainingDataException fails(int seqLen, String... lines) throws IOException {
        Path p = file(lines);
        return assertThrows(TrainingDataException.class, () -> TrainingData.load(p, TestTokenizers.tiny(), seqLen));
    }

    /** The second line is the bad one; the message names file, line and the words expected. */
    private void secondLineFails(String badLine, String... words) throws IOException {
        TrainingDataException e = fails(64, GOOD, badLine);
        assertEquals(2, e.line(), e.getMessage());
        assertTrue(e.getMessage().startsWith(dir.resolve("train.jsonl") + ":2: "), e.getMessage());
        for (String w : words) assertTrue(e.getMessage().contains(w), "'" + w + "' not in: " + e.getMessage());
    }

    @Test
    void invalidJsonQuotesTheParsersReasonNotTheLine() throws IOException {
        String line = "{\"text\": \"hello\", oops " + "x".repeat(500) + "}";
        TrainingDataException e = fails(64, GOOD, line);
        assertEquals(2, e.line());
        assertTrue(e.getMessage().contains("not valid JSON: Unexpected character"), e.getMessage());
        assertFalse(e.getMessage().contains("xxxxxxxxxx"), e.getMessage());
    }

    @Test
    void trailingGarbageAndDuplicateKeysAreInvalidJson() throws IOException {
        secondLineFails("{\"text\":\"a\"} {\"text\":\"b\"}", "not valid JSON");
        secondLineFails("{\"text\":\"a\",\"text\":\"b\"}", "not valid JSON", "Duplicate field 'text'");
    }

    @Test
    void aRowMustBeAnObjectWithAKnownFieldSet() throws IOException {
        secondLineFails("[1,2]", "must be a JSON object, got an array");
        secondLineFails("{\"question\":\"a\",\"answer\":\"b\"}", "none of the known field sets", "\"messages\"", "\"prompt\"+\"completion\"");
        secondLineFails("{\"text\":\"a\",\"prompt\":\"b\",\"completion\":\"c\"}", "use one format per row");
        secondLineFails("{\"prompt\":\"a\"}", "no \"completion\"");
        secondLineFails("{\"labels\":[1,2]}", "\"labels\" but no \"input_ids\"");
    }

    @Test
    void wrongTypes() throws IOException {
        secondLineFails("{\"text\":5}", "\"text\" must be a string, got the number 5");
        secondLineFails("{\"prompt\":\"a\",\"completion\":null}", "\"completion\" must be a string, got null");
        secondLineFails("{\"messages\":{\"role\":\"user\"}}", "\"messages\" must be an array");
        secondLineFails("{\"messages\":[\"hi\"]}", "messages[0] must be an object, got the string \"hi\"");
        secondLineFails("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}]}",
                "messages[0].content must be a string, got an array");
        secondLineFails("{\"messages\":[{\"role\":\"user\"}]}", "messages[0].content must be a string, and it is missing");
        secondLineFails("{\"messages\":[{\"role\":\"human\",\"content\":\"hi\"}]}", "messages[0].role 'human' is unknown");
        secondLineFails("{\"input_ids\":[2,\"3\"]}", "input_ids[1] must be an integer token id, got the string \"3\"");
        secondLineFails("{\"input_ids\":[2,3.5]}", "input_ids[1] must be an integer token id, got the number 3.5");
        secondLineFails("{\"input_ids\":[2,99999999999]}", "input_ids[1] must be an integer");
        secondLineFails("{\"input_ids\":2}", "\"input_ids\" must be an array of integers");
    }

    @Test
    void conversationsWithNothingToLearn() throws IOException {
        secondLineFails("{\"messages\":[]}", "\"messages\" is empty: nothing to learn");
        secondLineFails("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "no model turn: nothing to learn");
        secondLineFails("{\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"}]}", "only a system message");
        secondLineFails("{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"},"
                + "{\"role\":\"user\",\"content\":\"c\"}]}", "ends with a user turn");
        secondLineFails("{\"messages\":[{\"role\":\"assistant\",\"content\":\"a\"},{\"role\":\"user\",\"content\":\"b\"}]}",
                "messages[0] is a model turn but a user turn was expected");
        secondLineFails("{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"system\",\"content\":\"b\"}]}",
                "messages[1]: a system message may only come first");
        secondLineFails("{\"input_ids\":[2,3],\"labels\":[-100,-100]}", "nothing to learn");
        secondLineFails("{\"input_ids\":[]}", "\"input_ids\" is empty");
    }

    @Test
    void idsAndLabelsMustBeInTheVocabulary() throws IOException {
        secondLineFails("{\"input_ids\":[2,300]}", "input_ids[1] = 300 is outside the vocabulary [0, 300)");
        secondLineFails("{\"input_ids\":[2,-100]}", "input_ids[1] = -100 is outside the vocabulary");
        secondLineFails("{\"input_ids\":[2,3],\"labels\":[-100,-1]}", "labels[1] = -1 is outside the vocabulary [0, 300) and is not -100");
        secondLineFails("{\"input_ids\":[2,3,4],\"labels\":[-100,3]}", "\"labels\" has 2 entries but \"input_ids\" has 3");
    }

    @Test
    void aPromptThatLeavesNoRoomToLearnIsAnError() throws IOException {
        TrainingDataException e = fails(4, "{\"input_ids\":[2,3,4,5,6],\"labels\":[-100,-100,-100,-100,6]}");
        assertEquals(1, e.line());
        assertTrue(e.getMessage().contains("the prompt (everything before the first learned token) is 4 tokens"), e.getMessage());
        assertTrue(e.getMessage().contains("sequence length 4"), e.getMessage());
    }

    @Test
    void aLongExampleWhosePromptFitsIsTruncatedAndCounted() throws IOException {
        Path p = file("{\"input_ids\":[2,3,4,5,6,7],\"labels\":[-100,-100,4,5,6,7]}", "", "  ",
                "{\"input_ids\":[2,3],\"labels\":[-100,3]}", "{\"input_ids\":[2,3,4,5],\"labels\":[-100,3,4,5]}");
        TrainingData d = TrainingData.load(p, TestTokenizers.tiny(), 4);
        assertEquals(3, d.size(), "blank lines are skipped");
        assertEquals(1, d.truncatedCount(), "exactly seqLen is not truncated");
        assertArrayEquals(new int[] {2, 3, 4, 5}, d.get(0).tokens());
        assertArrayEquals(new int[] {-100, -100, 4, 5}, d.get(0).labels());
        assertEquals(2 + 1 + 3, d.labelledTokens());
    }

    @Test
    void aFileWithNoExamplesIsAnError() throws IOException {
        TrainingDataException e = fails(64, "", "   ");
        assertEquals(0, e.line());
        assertTrue(e.getMessage().endsWith(": the file holds no examples"), e.getMessage());
        Path empty = dir.resolve("empty.jsonl");
        Files.writeString(empty, "");
        assertThrows(TrainingDataException.class, () -> TrainingData.load(empty, TestTokenizers.tiny(), 64));
    }

    @Test
    void aMissingFileIsNamed() {
        Path p = dir.resolve("nope.jsonl");
        TrainingDataException e = assertThrows(TrainingDataException.class, () -> TrainingData.load(p, TestTokenizers.tiny(), 64));
        assertEquals(p + ": file not found", e.getMessage());
    }

    @Test
    void anOverlongLineIsRefusedWithoutReadingItAll() throws IOException {
        Path p = dir.resolve("big.jsonl");
        String big = "{\"text\":\"" + "a".repeat(TrainingData.MAX_LINE_BYTES) + "\"}";
        Files.writeString(p, GOOD + "\n" + big + "\n" + GOOD + "\n");
        TrainingDataException e = assertThrows(TrainingDataException.class, () -> TrainingData.load(p, TestTokenizers.tiny(), 64));
        assertEquals(2, e.line());
        assertTrue(e.getMessage().contains("longer than 1048576 bytes"), e.getMessage());
    }

    @Test
    void invalidUtf8IsNamed() throws IOException {
        Path p = dir.resolve("bad.jsonl");
        byte[] bad = "{\"text\":\"a\uFFFD\"}\n".getBytes(StandardCharsets.UTF_8);
        byte[] line = new byte[bad.length];
        System.arraycopy(bad, 0, line, 0, bad.length);
        line[10] = (byte) 0xC3; // a lead byte followed by a second lead byte: malformed
        line[11] = (byte) 0xC3;
        Files.write(p, (GOOD + "\n").getBytes(StandardCharsets.UTF_8));
        Files.write(p, line, java.nio.file.StandardOpenOption.APPEND);
        TrainingDataException e = assertThrows(TrainingDataException.class, () -> TrainingData.load(p, TestTokenizers.tiny(), 64));
        assertEquals(2, e.line());
        assertTrue(e.getMessage().endsWith("not valid UTF-8"), e.getMessage());
    }

    @Test
    void crlfLinesAndAMissingFinalNewlineAreFine() throws IOException {
        Path p = dir.resolve("crlf.jsonl");
        Files.writeString(p, GOOD + "\r\n" + GOOD);
        assertEquals(2, TrainingData.load(p, TestTokenizers.tiny(), 64).size());
    }
}
