package dev.jemma.train.eval;

import dev.jemma.generate.ChatMessage;
import dev.jemma.generate.ChatTemplate;
import dev.jemma.generate.IntList;
import dev.jemma.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * The token ids a model is asked to continue, with the few-shot examples before the question.
 * <ul>
 *   <li>A raw prompt: BOS, then each shot's question and answer followed by {@link #SHOT_SEPARATOR}, then the prompt.
 *       Each piece is tokenized on its own, as training data tokenizes prompt and completion (so a fine-tuned model
 *       sees the same boundaries).</li>
 *   <li>A conversation: the shots as user/model turn pairs after the system message (if any), then the
 *       conversation, rendered with the chat template.</li>
 * </ul>
 * The shots are the same for every question (fixed, chosen by the caller), so their tokens form a common prefix
 * that a session's cache keeps.
 */
public final class PromptBuilder {
    /** Between raw few-shot examples; also the stop string after a raw few-shot answer. */
    public static final String SHOT_SEPARATOR = "\n\n";

    private final Tokenizer tok;
    private final List<EvalExample> shots;
    private ChatTemplate template;

    public PromptBuilder(Tokenizer tok, List<EvalExample> shots) {
        this.tok = tok;
        this.shots = List.copyOf(shots);
    }

    public int shotCount() {
        return shots.size();
    }

    public int[] ids(EvalExample e) {
        return e.isChat() ? chat(e.conversation()) : raw(e.prompt());
    }

    private int[] raw(String prompt) {
        IntList out = new IntList();
        out.add(tok.bosId());
        for (EvalExample s : shots) {
            out.addAll(tok.encode(s.question()));
            out.addAll(tok.encode(s.expected()));
            out.addAll(tok.encode(SHOT_SEPARATOR));
        }
        out.addAll(tok.encode(prompt));
        return out.toArray();
    }

    private int[] chat(List<ChatMessage> conversation) {
        List<ChatMessage> all = new ArrayList<>();
        int first = 0;
        if (conversation.getFirst().role() == ChatMessage.Role.SYSTEM) {
            all.add(conversation.getFirst());
            first = 1;
        }
        for (EvalExample s : shots) {
            all.add(ChatMessage.user(s.question()));
            all.add(ChatMessage.model(s.expected()));
        }
        all.addAll(conversation.subList(first, conversation.size()));
        if (template == null) template = new ChatTemplate(tok);
        return template.render(all, true).toArray();
    }
}
