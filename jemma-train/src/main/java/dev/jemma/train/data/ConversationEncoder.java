package dev.jemma.train.data;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jemma.generate.ChatFormatException;
import dev.jemma.generate.ChatMessage;
import dev.jemma.generate.ChatTemplate;
import dev.jemma.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@code {"messages": [...]}} row rendered with Gemma's chat template (the same rules as the core's
 * {@link ChatTemplate}: a system message folded into the first user turn, contents trimmed, roles alternating
 * user/model), BOS first and each turn followed by "\n" as Hugging Face's template writes it:
 * <pre>
 * &lt;bos&gt;&lt;start_of_turn&gt;user\n{system}\n\n{user}&lt;end_of_turn&gt;\n&lt;start_of_turn&gt;model\n{answer}&lt;end_of_turn&gt;\n ...
 * </pre>
 * Only the model turns' text and their {@code <end_of_turn>} are learned. Each run of text between two control
 * tokens is encoded as one piece, so the ids equal tokenizing the whole rendered string; a model turn's
 * "model\n" header and its text are one such run, and a token is learned when it holds any of the answer's bytes.
 * Control tokens are emitted by id: text that spells one is ordinary text, as in the core's template.
 */
final class ConversationEncoder {
    private static final String MODEL_HEADER = "model\n";
    private static final int MODEL_HEADER_BYTES = MODEL_HEADER.getBytes(StandardCharsets.UTF_8).length;

    private final Tokenizer tok;
    private final int startOfTurn;
    private final int endOfTurn;
    private final int[] newline;

    ConversationEncoder(Tokenizer tok) {
        this.tok = tok;
        try {
            this.endOfTurn = new ChatTemplate(tok).endOfTurnId();
        } catch (ChatFormatException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        this.startOfTurn = tok.idOf("<start_of_turn>");
        this.newline = tok.encode("\n");
    }

    TrainingExample encode(JsonNode messagesNode) {
        List<ChatMessage> messages = parse(messagesNode);
        SequenceBuilder out = new SequenceBuilder();
        out.context(tok.bosId());
        String systemPrefix = "";
        int first = 0;
        if (messages.get(0).role() == ChatMessage.Role.SYSTEM) {
            systemPrefix = messages.get(0).content() + "\n\n";
            first = 1;
        }
        for (int i = first; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            if (i > first) out.context(newline);
            out.context(startOfTurn);
            if (m.role() == ChatMessage.Role.USER) {
                out.context(tok.encode("user\n" + (i == first ? systemPrefix : "") + ChatTemplate.trim(m.content())));
                out.context(endOfTurn);
            } else {
                appendAnswer(out, ChatTemplate.trim(m.content()));
                out.learned(endOfTurn);
            }
        }
        out.context(newline);
        return out.build();
    }

    /** "model\n" + the answer as one run of text; the tokens carrying the answer's bytes are learned. */
    private void appendAnswer(SequenceBuilder out, String answer) {
        int[] ids = tok.encode(MODEL_HEADER + answer);
        int end = 0;
        for (int id : ids) {
            end += bytesOf(id);
            if (end > MODEL_HEADER_BYTES) out.learned(id);
            else out.context(id);
        }
    }

    private int bytesOf(int id) {
        byte[] b = tok.tokenBytes(id);
        return b != null ? b.length : tok.tokenText(id).getBytes(StandardCharsets.UTF_8).length;
    }

    /** The messages, checked: an optional system message, then user/model alternating from user, ending with model. */
    private static List<ChatMessage> parse(JsonNode node) {
        if (!node.isArray()) throw new InvalidRowException("\"messages\" must be an array of {\"role\", \"content\"} objects, got " + JsonTypes.name(node));
        if (node.isEmpty()) throw new InvalidRowException("\"messages\" is empty: nothing to learn");
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode m = node.get(i);
            if (!m.isObject()) throw new InvalidRowException("messages[" + i + "] must be an object, got " + JsonTypes.name(m));
            JsonNode role = m.get("role");
            JsonNode content = m.get("content");
            if (role == null || !role.isTextual()) {
                throw new InvalidRowException("messages[" + i + "].role must be a string (system, user, assistant or model)"
                        + (role == null ? ", and it is missing" : ", got " + JsonTypes.name(role)));
            }
            if (content == null || !content.isTextual()) {
                throw new InvalidRowException("messages[" + i + "].content must be a string"
                        + (content == null ? ", and it is missing" : ", got " + JsonTypes.name(content)));
            }
            ChatMessage.Role r = switch (role.textValue()) {
                case "system" -> ChatMessage.Role.SYSTEM;
                case "user" -> ChatMessage.Role.USER;
                case "assistant", "model" -> ChatMessage.Role.MODEL;
                default -> throw new InvalidRowException("messages[" + i + "].role '" + JsonTypes.clip(role.textValue())
                        + "' is unknown (expected system, user, assistant or model)");
            };
            out.add(new ChatMessage(r, content.textValue()));
        }
        int first = out.get(0).role() == ChatMessage.Role.SYSTEM ? 1 : 0;
        if (first == out.size()) throw new InvalidRowException("the conversation has only a system message: nothing to learn");
        for (int i = first; i < out.size(); i++) {
            ChatMessage.Role r = out.get(i).role();
            if (r == ChatMessage.Role.SYSTEM) throw new InvalidRowException("messages[" + i + "]: a system message may only come first");
            ChatMessage.Role expected = (i - first) % 2 == 0 ? ChatMessage.Role.USER : ChatMessage.Role.MODEL;
            if (r != expected) {
                throw new InvalidRowException("messages[" + i + "] is " + name(r) + " but " + name(expected)
                        + " was expected: turns must alternate user/model, starting with user");
            }
        }
        if (out.size() - first < 2) throw new InvalidRowException("the conversation has no model turn: nothing to learn");
        if (out.getLast().role() != ChatMessage.Role.MODEL) {
            throw new InvalidRowException("the conversation ends with a user turn: it must end with the model's answer (nothing after it is learned)");
        }
        return out;
    }

    private static String name(ChatMessage.Role r) {
        return r == ChatMessage.Role.MODEL ? "a model turn" : r == ChatMessage.Role.USER ? "a user turn" : "a system message";
    }

}
