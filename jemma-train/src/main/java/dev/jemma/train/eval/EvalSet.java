package dev.jemma.train.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.jemma.generate.ChatMessage;
import dev.jemma.train.data.BoundedLineReader;
import dev.jemma.train.data.TrainingData;
import dev.jemma.train.data.TrainingDataException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A JSONL file of {@link EvalExample}s: {"prompt", "completion"} rows, or {"messages"} rows whose last turn is the
 * model's (the expected answer). Errors are {@link TrainingDataException}s naming the file and line, as for
 * training data; {@code limit} stops reading after that many examples (negative: all).
 */
public final class EvalSet {
    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private EvalSet() {}

    public static List<EvalExample> load(Path file, int limit) {
        List<EvalExample> out = new ArrayList<>();
        try (InputStream in = Files.newInputStream(file);
             BoundedLineReader lines = new BoundedLineReader(in, TrainingData.MAX_LINE_BYTES)) {
            while (limit < 0 || out.size() < limit) {
                String line;
                try {
                    line = lines.readLine();
                } catch (BoundedLineReader.LineTooLongException | CharacterCodingException e) {
                    throw new TrainingDataException(file, lines.lineNumber(),
                            e instanceof CharacterCodingException ? "the line is not valid UTF-8" : e.getMessage());
                }
                if (line == null) break;
                if (line.isBlank()) continue;
                try {
                    out.add(example(JSON.readTree(line)));
                } catch (JsonProcessingException e) {
                    throw new TrainingDataException(file, lines.lineNumber(), "not valid JSON: " + e.getOriginalMessage());
                } catch (IllegalArgumentException e) {
                    throw new TrainingDataException(file, lines.lineNumber(), e.getMessage());
                }
            }
        } catch (NoSuchFileException e) {
            throw new TrainingDataException(file, "file not found");
        } catch (IOException e) {
            throw new TrainingDataException(file, "cannot read: " + e.getMessage());
        }
        if (out.isEmpty()) throw new TrainingDataException(file, "the file holds no examples");
        return out;
    }

    private static EvalExample example(JsonNode row) {
        if (!row.isObject()) throw new IllegalArgumentException("a row must be a JSON object");
        if (row.has("messages")) return chat(row.get("messages"));
        if (row.has("prompt") && row.has("completion")) {
            return EvalExample.raw(text(row.get("prompt"), "\"prompt\""), text(row.get("completion"), "\"completion\""));
        }
        throw new IllegalArgumentException("an evaluation row needs \"prompt\" and \"completion\", or \"messages\" ending with the model's turn");
    }

    private static EvalExample chat(JsonNode messages) {
        if (!messages.isArray() || messages.isEmpty()) throw new IllegalArgumentException("\"messages\" must be a non-empty array");
        List<ChatMessage> turns = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            if (!m.isObject()) throw new IllegalArgumentException("messages[" + i + "] must be an object");
            String role = text(m.get("role"), "messages[" + i + "].role");
            try {
                turns.add(new ChatMessage(ChatMessage.role(role), text(m.get("content"), "messages[" + i + "].content")));
            } catch (dev.jemma.generate.ChatFormatException e) {
                throw new IllegalArgumentException("messages[" + i + "]: " + e.getMessage());
            }
        }
        ChatMessage last = turns.removeLast();
        if (last.role() != ChatMessage.Role.MODEL) {
            throw new IllegalArgumentException("the conversation must end with the model's turn (the expected answer)");
        }
        if (turns.isEmpty() || turns.getLast().role() != ChatMessage.Role.USER) {
            throw new IllegalArgumentException("the expected answer must follow a user turn");
        }
        return EvalExample.chat(turns, last.content());
    }

    private static String text(JsonNode v, String what) {
        if (v == null || !v.isTextual()) throw new IllegalArgumentException(what + " must be a string");
        return v.textValue();
    }
}
