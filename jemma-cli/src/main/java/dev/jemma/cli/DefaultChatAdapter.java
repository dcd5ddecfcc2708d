package dev.jemma.cli;

import dev.jemma.JemmaException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The chat adapter of the default model: a LoRA that Jemma trained on the pretrained 270M (docs/CHAT.md,
 * scripts/train-chat-adapter.sh), shipped inside the CLI jar. It is copied once into
 * {@code ~/.cache/jemma/adapters} under a name holding its SHA-256 (written to a temporary file, then renamed),
 * because adapters are read from files. {@code run}, {@code chat} and {@code serve} apply it when no --model is
 * given and --no-adapter is not.
 */
public final class DefaultChatAdapter {
    static final String RESOURCE = "gemma3-270m-chat-lora-f16.gguf";
    /** The adapter's model id in the server. */
    static final String NAME = "gemma-3-270m-chat";

    private DefaultChatAdapter() {}

    /** The adapter file, extracted if needed. */
    public static Path locate() throws IOException {
        byte[] bytes;
        try (InputStream in = DefaultChatAdapter.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new JemmaException("this build has no default chat adapter (" + RESOURCE + "); run scripts/train-chat-adapter.sh or pass --no-adapter");
            bytes = in.readAllBytes();
        }
        String sha;
        try {
            sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Path dir = DefaultModel.cacheRoot().resolve("adapters");
        Path file = dir.resolve("gemma3-270m-chat-" + sha.substring(0, 16) + ".gguf");
        if (Files.isRegularFile(file) && Files.size(file) == bytes.length) return file;
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".chat-", ".tmp");
        try {
            Files.write(tmp, bytes);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return file;
    }
}
