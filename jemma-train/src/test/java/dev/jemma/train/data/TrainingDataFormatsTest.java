package dev.jemma.train.data;

import dev.jemma.generate.ChatMessage;
import dev.jemma.generate.ChatTemplate;
import dev.jemma.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Each format's tokens and labels, with the real Gemma 3 tokenizer. */
class TrainingDataFormatsTest {
    @TempDir Path dir;

    private TrainingExample one(String line) throws IOException {
        Path p = dir.resolve("one.jsonl");
        Files.writeString(p, line + "\n");
        TrainingData d = TrainingData.load(p, TestTokenizers.real(), 4096);
        assertEquals(1, d.size());
        return d.get(0);
    }

    private static int[] concat(int[]... parts) {
        int n = 0;
        for (int[] p : parts) n += p.length;
        int[] out = new int[n];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    private static int[] ignored(int n) {
        int[] a = new int[n];
        Arrays.fill(a, TrainingExample.IGNORE);
        return a;
    }

    /** The learned stretches of an example, each decoded, control tokens spelled out. */
    private static List<String> learnedRuns(Tokenizer tok, TrainingExample e) {
        List<String> runs = new ArrayList<>();
        StringBuilder cur = null;
        for (int i = 0; i < e.length(); i++) {
            if (e.labels()[i] != TrainingExample.IGNORE) {
                assertEquals(e.tokens()[i], e.labels()[i], "a learned position labels its own token");
                if (cur == null) cur = new StringBuilder();
                int id = e.tokens()[i];
                cur.append(tok.isControl(id) ? tok.tokenText(id) : tok.decode(new int[] {id}));
            } else if (cur != null) {
                runs.add(cur.toString());
                cur = null;
            }
        }
        if (cur != null) runs.add(cur.toString());
        return runs;
    }

    @Test
    void messagesMatchWholeStringTokenizationAndLearnOnlyTheModelTurns() throws IOException {
        Tokenizer tok = TestTokenizers.real();
        String line = "{\"messages\":[{\"role\":\"system\",\"content\":\"You extract fields.\"},"
                + "{\"role\":\"user\",\"content\":\"  Name: Ada Lovelace\\nCity: London \"},"
                + "{\"role\":\"assistant\",\"content\":\"{\\\"name\\\": \\\"Ada Lovelace\\\"}\\n\"},"
                + "{\"role\":\"user\",\"content\":\"And the city?\"},"
                + "{\"role\":\"model\",\"content\":\"\\nLondon, England.\"}]}";
        TrainingExample e = one(line);
        String rendered = "<bos><start_of_turn>user\nYou extract fields.\n\nName: Ada Lovelace\nCity: London<end_of_turn>\n"
                + "<start_of_turn>model\n{\"name\": \"Ada Lovelace\"}<end_of_turn>\n"
                + "<start_of_turn>user\nAnd the city?<end_of_turn>\n"
                + "<start_of_turn>model\nLondon, England.<end_of_turn>\n";
        assertArrayEquals(tok.encodeWithSpecial(rendered), e.tokens());
        assertEquals(List.of("{\"name\": \"Ada Lovelace\"}<end_of_turn>", "London, England.<end_of_turn>"), learnedRuns(tok, e));
        assertEquals(tok.bosId(), e.tokens()[0]);
        assertEquals(TrainingExample.IGNORE, e.labels()[e.length() - 1], "the \"\\n\" after the last turn is not learned");
    }

    @Test
    void messagesAgreeWithTheCoresChatTemplateUpToEachAnswer() throws IOException {
        Tokenizer tok = TestTokenizers.real();
        TrainingExample e = one("{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"Hi\"},"
                + "{\"role\":\"assistant\",\"content\":\"Hello!\"},{\"role\":\"user\",\"content\":\"Bye\"},{\"role\":\"assistant\",\"content\":\"Bye!\"}]}");
        ChatTemplate t = new ChatTemplate(tok);
        int[] firstPrompt = t.render(List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi")), true).toArray();
        int[] secondPrompt = t.render(List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi"), ChatMessage.model("Hello!"),
                ChatMessage.user("Bye")), true).toArray();
        // what generation would see before each answer is exactly the unlearned prefix before it
        assertEquals(firstPrompt.length, e.promptLength());
        assertArrayEquals(firstPrompt, Arrays.copyOf(e.tokens(), firstPrompt.length));
        assertArrayEquals(secondPrompt, Arrays.copyOf(e.tokens(), secondPrompt.length));
        assertEquals(TrainingExample.IGNORE, e.labels()[secondPrompt.length - 1]);
        assertNotEquals(TrainingExample.IGNORE, e.labels()[secondPrompt.length]);
    }

    @Test
    void assistantAndModelAreTheSameRole() throws IOException {
        String a = one("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"assistant\",\"content\":\"y\"}]}").toString();
        String m = one("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"model\",\"content\":\"y\"}]}").toString();
        assertEquals(a, m);
    }

    @Test
    void promptCompletionLearnsTheCompletionAndEos() throws IOException {
        Tokenizer tok = TestTokenizers.real();
        TrainingExample e = one("{\"prompt\":\"Extract: Ada, London\\nJSON:\",\"completion\":\" {\\\"city\\\": \\\"London\\\"}\",\"id\":7}");
        int[] p = tok.encode("Extract: Ada, London\nJSON:");
        int[] c = tok.encode(" {\"city\": \"London\"}");
        assertArrayEquals(concat(new int[] {tok.bosId()}, p, c, new int[] {tok.eosId()}), e.tokens());
        assertArrayEquals(concat(ignored(1 + p.length), c, new int[] {tok.eosId()}), e.labels());
        assertEquals(c.length + 1, e.labelledCount());
        assertEquals(1 + p.length, e.promptLength());
    }

    @Test
    void textLearnsEveryPredictedToken() throws IOException {
        Tokenizer tok = TestTokenizers.real();
        TrainingExample e = one("{\"text\":\"The quick brown fox.\"}");
        int[] t = tok.encode("The quick brown fox.");
        assertArrayEquals(concat(new int[] {tok.bosId()}, t, new int[] {tok.eosId()}), e.tokens());
        assertArrayEquals(concat(ignored(1), t, new int[] {tok.eosId()}), e.labels());
        assertEquals(e.length() - 1, e.labelledCount());
    }

    @Test
    void tokensAreTakenExactlyAsGiven() throws IOException {
        TrainingExample plain = one("{\"input_ids\":[5,6,7]}");
        assertArrayEquals(new int[] {5, 6, 7}, plain.tokens());
        assertArrayEquals(new int[] {5, 6, 7}, plain.labels(), "labels default to input_ids; no BOS is added");
        assertEquals(2, plain.labelledCount(), "position 0 is never predicted");
        TrainingExample masked = one("{\"input_ids\":[2,10,11,12],\"labels\":[-100,-100,11,12]}");
        assertArrayEquals(new int[] {-100, -100, 11, 12}, masked.labels());
        assertEquals(2, masked.promptLength());
        assertEquals(plain, one("{\"input_ids\":[5,6,7],\"labels\":null}"));
    }
}
