package dev.jemma.train.data;

import dev.jemma.JemmaException;

import java.nio.file.Path;

/** A training file that cannot be used, naming the file and, where it is one row's fault, its 1-based line. */
public final class TrainingDataException extends JemmaException {
    private final Path file;
    private final int line;

    /** A fault of the whole file (line 0). */
    public TrainingDataException(Path file, String reason) {
        super(file + ": " + reason);
        this.file = file;
        this.line = 0;
    }

    public TrainingDataException(Path file, int line, String reason) {
        super(file + ":" + line + ": " + reason);
        this.file = file;
        this.line = line;
    }

    public Path file() {
        return file;
    }

    /** The 1-based line, or 0 when the fault is the whole file's. */
    public int line() {
        return line;
    }
}
