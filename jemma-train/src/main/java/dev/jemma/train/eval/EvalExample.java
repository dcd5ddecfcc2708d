package dev.jemma.train.eval;

import dev.jemma.generate.ChatMessage;

import java.util.List;
import java.util.Objects;

/**
 * One evaluation question and its expected answer: a raw prompt (from a prompt/completion row, answered as a plain
 * completion) or a conversation ending with the user's turn (from a messages row, answered as the model's next
 * turn; the row's last model turn is the expected answer).
 */
public record EvalExample(String prompt, List<ChatMessage> conversation, String expected) {
    public EvalExample {
        Objects.requireNonNull(expected, "expected");
        if ((prompt == null) == (conversation == null)) throw new IllegalArgumentException("exactly one of prompt and conversation");
        if (conversation != null) conversation = List.copyOf(conversation);
    }

    public static EvalExample raw(String prompt, String expected) {
        return new EvalExample(prompt, null, expected);
    }

    public static EvalExample chat(List<ChatMessage> conversation, String expected) {
        return new EvalExample(null, conversation, expected);
    }

    public boolean isChat() {
        return conversation != null;
    }

    /** The question as one text: the prompt, or the last user turn of the conversation (what a few-shot example shows). */
    public String question() {
        return prompt != null ? prompt : conversation.getLast().content();
    }
}
