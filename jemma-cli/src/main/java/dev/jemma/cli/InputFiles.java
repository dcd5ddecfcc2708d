package dev.jemma.cli;

import dev.jemma.JemmaException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Text the CLI reads from files and standard input, with one-line errors that name the flag and the problem. */
public final class InputFiles {
    private InputFiles() {
    }

    /** A file that must exist and be a regular file (checked before anything slow starts). */
    /** A GGUF file or a Hugging Face model folder (a directory with config.json). */
    static Path model(String flag, Path p) {
        if (Files.isDirectory(p)) {
            if (!Files.isRegularFile(p.resolve("config.json"))) {
                throw new JemmaException(flag + " " + p + " is a directory without config.json: neither a GGUF file nor a Hugging Face model folder");
            }
            return p;
        }
        return existing(flag, p);
    }

    public static Path existing(String flag, Path p) {
        if (Files.isDirectory(p)) throw new JemmaException(flag + " " + p + " is a directory, not a file");
        if (!Files.exists(p)) throw new JemmaException(flag + " " + p + ": file not found");
        if (!Files.isReadable(p)) throw new JemmaException(flag + " " + p + ": permission denied");
        return p;
    }

    /** The whole file as strict UTF-8 text. */
    public static String text(String flag, Path p) {
        existing(flag, p);
        try {
            return utf8(Files.readAllBytes(p), flag + " " + p);
        } catch (NoSuchFileException e) {
            throw new JemmaException(flag + " " + p + ": file not found");
        } catch (AccessDeniedException e) {
            throw new JemmaException(flag + " " + p + ": permission denied");
        } catch (IOException e) {
            throw new JemmaException(flag + " " + p + " cannot be read: " + e.getMessage());
        }
    }

    /** All of standard input as strict UTF-8 text. */
    static String stdin(InputStream in) {
        try {
            return utf8(in.readAllBytes(), "standard input");
        } catch (IOException e) {
            throw stdinFailed(e);
        }
    }

    /** Standard input line by line; a line that is not UTF-8 text fails instead of becoming a turn. */
    static final class Lines {
        private final BufferedReader in;
        private int number;

        Lines(InputStream in) {
            this.in = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)));
        }

        /** The next line, or null at the end of input. */
        String next() {
            try {
                String line = in.readLine();
                number++;
                if (line != null && hasControl(line)) throw notText("line " + number + " of standard input");
                return line;
            } catch (CharacterCodingException e) {
                throw notText("line " + (number + 1) + " of standard input");
            } catch (IOException e) {
                throw stdinFailed(e);
            }
        }
    }

    private static String utf8(byte[] b, String what) {
        try {
            String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
            if (hasControl(s)) throw notText(what);
            return s;
        } catch (CharacterCodingException e) {
            throw notText(what);
        }
    }

    /** NUL and the C0 controls other than tab, newline and carriage return do not occur in text. */
    private static boolean hasControl(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') return true;
        }
        return false;
    }

    private static JemmaException notText(String what) {
        return new JemmaException(what + " is not UTF-8 text (a binary file?)");
    }

    private static JemmaException stdinFailed(IOException e) {
        return new JemmaException("cannot read standard input (" + e.getMessage() + "); is it closed?");
    }
}
