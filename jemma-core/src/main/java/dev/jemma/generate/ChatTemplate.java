package dev.jemma.generate;

import dev.jemma.tokenizer.Tokenizer;

import java.util.List;

/**
 * Gemma 3's chat format (docs/GEMMA3.md, "Chat template"; Google's "Gemma formatting and system instructions",
 * https://ai.google.dev/gemma/docs/core/prompt-structure), rendered straight to token ids:
 * <pre>
 * &lt;bos&gt;&lt;start_of_turn&gt;user\n{system}\n\n{user}&lt;end_of_turn&gt;\n&lt;start_of_turn&gt;model\n ...
 * </pre>
 * Control tokens are emitted by id; message text is encoded as plain text, so text a user types
 * can never become a control token. Each run of text between two control tokens is encoded as one
 * piece, which gives the same ids as tokenizing the rendered string.
 */
public final class ChatTemplate {
    private final Tokenizer tok;
    private final int startOfTurn;
    private final int endOfTurn;

    public ChatTemplate(Tokenizer tok) {
        this.tok = tok;
        this.startOfTurn = require(tok, "<start_of_turn>");
        this.endOfTurn = require(tok, "<end_of_turn>");
    }

    private static int require(Tokenizer tok, String piece) {
        int id = tok.idOf(piece);
        if (id < 0) throw new ChatFormatException("the tokenizer has no " + piece + " token, so it cannot chat");
        return id;
    }

    public int endOfTurnId() {
        return endOfTurn;
    }

    /**
     * Ids of the whole conversation followed by the generation prompt, BOS first. Messages after an
     * optional leading system message must alternate user/model, starting with user and ending with user.
     */
    public IntList render(List<ChatMessage> messages, boolean addBos) {
        return render(messages, addBos, null);
    }

    /** How a turn's text becomes ids (plain text by default); images expand their places in it this way. */
    @FunctionalInterface
    public interface TurnEncoder {
        void encode(String text, IntList out);
    }

    /** As {@link #render(List, boolean)}, each turn's text encoded by {@code turns} (null: plain text). */
    public IntList render(List<ChatMessage> messages, boolean addBos, TurnEncoder turns) {
        IntList out = new IntList();
        if (addBos) out.add(tok.bosId());
        appendTurns(out, messages, true, turns);
        appendGenerationPrompt(out);
        return out;
    }

    /**
     * Ids of further turns for a conversation already in the cache (which ends with the model's
     * {@code <end_of_turn>}): "\n" then the turns and the generation prompt.
     */
    public IntList renderContinuation(List<ChatMessage> newMessages) {
        IntList out = new IntList();
        out.addAll(tok.encode("\n"));
        appendTurns(out, newMessages, false, null);
        appendGenerationPrompt(out);
        return out;
    }

    private void appendTurns(IntList out, List<ChatMessage> messages, boolean isStart, TurnEncoder turns) {
        if (messages.isEmpty()) throw new ChatFormatException("messages is empty");
        String prefix = "";
        int first = 0;
        if (messages.get(0).role() == ChatMessage.Role.SYSTEM) {
            if (!isStart) throw new ChatFormatException("a system message may only open the conversation");
            prefix = messages.get(0).content() + "\n\n";
            first = 1;
        }
        if (first == messages.size()) throw new ChatFormatException("the conversation has a system message but no user message");
        for (int i = first; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            ChatMessage.Role expected = (i - first) % 2 == 0 ? ChatMessage.Role.USER : ChatMessage.Role.MODEL;
            if (m.role() == ChatMessage.Role.SYSTEM) {
                throw new ChatFormatException("message " + i + ": a system message may only come first");
            }
            if (m.role() != expected) {
                throw new ChatFormatException("message " + i + ": conversation roles must alternate user/model starting with user");
            }
            String role = m.role() == ChatMessage.Role.USER ? "user" : "model";
            if (i > first) out.addAll(tok.encode("\n"));
            out.add(startOfTurn);
            String body = role + "\n" + (i == first ? prefix : "") + trim(m.content());
            if (turns != null) turns.encode(body, out);
            else out.addAll(tok.encode(body));
            out.add(endOfTurn);
        }
        if (messages.get(messages.size() - 1).role() != ChatMessage.Role.USER) {
            throw new ChatFormatException("the last message must be from the user");
        }
        out.addAll(tok.encode("\n"));
    }

    /** Jinja's trim (Python's str.strip): also removes no-break spaces, which Java's strip keeps. */
    public static String trim(String s) {
        int a = 0, b = s.length();
        while (a < b && isSpace(s.charAt(a))) a++;
        while (b > a && isSpace(s.charAt(b - 1))) b--;
        return s.substring(a, b);
    }

    private static boolean isSpace(char c) {
        return Character.isWhitespace(c) || c == '\u00a0' || c == '\u2007' || c == '\u202f' || c == '\u0085';
    }

    private void appendGenerationPrompt(IntList out) {
        out.add(startOfTurn);
        out.addAll(tok.encode("model\n"));
    }
}
