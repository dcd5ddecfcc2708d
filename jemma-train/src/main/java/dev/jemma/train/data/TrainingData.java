package dev.jemma.train.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.jemma.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A JSONL training file, one example per line, in any of the {@link ExampleFormat}s (rows may mix them), tokenized
 * and checked once. Every fault is a {@link TrainingDataException} naming the file and line. An example longer than
 * {@code seqLen} whose prompt fits is cut to {@code seqLen} and counted in {@link #truncatedCount()} for the caller
 * to report; one whose prompt (everything before the first learned token) leaves no learned token within
 * {@code seqLen} is an error, as is a row with nothing to learn.
 */
public final class TrainingData {
    /** The longest line read, in bytes: one example, however long, is far below it, and the heap stays bounded. */
    public static final int MAX_LINE_BYTES = 1 << 20;

    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private final Path file;
    private final int seqLen;
    private final List<TrainingExample> examples;
    private final int truncated;

    private TrainingData(Path file, int seqLen, List<TrainingExample> examples, int truncated) {
        this.file = file;
        this.seqLen = seqLen;
        this.examples = List.copyOf(examples);
        this.truncated = truncated;
    }

    /** Reads and tokenizes the whole file; {@code seqLen} is the longest sequence a training step takes. */
    public static TrainingData load(Path file, Tokenizer tokenizer, int seqLen) {
        if (seqLen < 2) throw new IllegalArgumentException("seqLen must be ≥ 2 (one token of context, one to learn), got " + seqLen);
        ExampleEncoder encoder = new ExampleEncoder(tokenizer);
        List<TrainingExample> examples = new ArrayList<>();
        int truncated = 0;
        try (InputStream in = Files.newInputStream(file);
             BoundedLineReader lines = new BoundedLineReader(in, MAX_LINE_BYTES)) {
            for (String line; (line = readLine(lines, file)) != null; ) {
                if (line.isBlank()) continue;
                TrainingExample e;
                try {
                    e = checked(encoder.encode(parse(line)), seqLen);
                } catch (InvalidRowException ex) {
                    throw new TrainingDataException(file, lines.lineNumber(), ex.getMessage());
                }
                if (e.length() > seqLen) {
                    e = e.truncate(seqLen);
                    truncated++;
                }
                examples.add(e);
            }
        } catch (NoSuchFileException ex) {
            throw new TrainingDataException(file, "file not found");
        } catch (IOException ex) {
            throw new TrainingDataException(file, "cannot read: " + ex.getMessage());
        }
        if (examples.isEmpty()) throw new TrainingDataException(file, "the file holds no examples");
        return new TrainingData(file, seqLen, examples, truncated);
    }

    private static String readLine(BoundedLineReader lines, Path file) throws IOException {
        try {
            return lines.readLine();
        } catch (BoundedLineReader.LineTooLongException ex) {
            throw new TrainingDataException(file, lines.lineNumber(), ex.getMessage());
        } catch (CharacterCodingException ex) {
            throw new TrainingDataException(file, lines.lineNumber(), "the line is not valid UTF-8");
        }
    }

    private static JsonNode parse(String line) {
        try {
            return JSON.readTree(line);
        } catch (JsonProcessingException ex) {
            throw new InvalidRowException("not valid JSON: " + ex.getOriginalMessage());
        }
    }

    private static TrainingExample checked(TrainingExample e, int seqLen) {
        if (e.labelledCount() == 0) throw new InvalidRowException("nothing to learn: no position after the first has a label other than -100");
        int prompt = e.promptLength();
        if (prompt >= seqLen) {
            throw new InvalidRowException("the prompt (everything before the first learned token) is " + prompt
                    + " tokens, so nothing to learn fits in the sequence length " + seqLen);
        }
        return e;
    }

    public Path file() {
        return file;
    }

    public int seqLen() {
        return seqLen;
    }

    public List<TrainingExample> examples() {
        return examples;
    }

    public int size() {
        return examples.size();
    }

    public TrainingExample get(int row) {
        return examples.get(row);
    }

    /** How many examples were longer than {@link #seqLen()} and cut to it. */
    public int truncatedCount() {
        return truncated;
    }

    /** Loss terms over the whole file (after truncation). */
    public long labelledTokens() {
        long n = 0;
        for (TrainingExample e : examples) n += e.labelledCount();
        return n;
    }
}
