package dev.jemma.cli;

import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/** --no-adapter: run, chat and serve use the default model with its chat adapter unless told otherwise. */
public final class ChatAdapterOptions {
    @Option(names = "--no-adapter", description = "the default model without its chat adapter: the raw pretrained 270M")
    boolean noAdapter;

    /** The default chat adapter's file when it applies (no --model, no --no-adapter), else null. */
    public Path resolve(ModelOptions model) throws IOException {
        if (noAdapter || model.model != null) return null;
        return DefaultChatAdapter.locate();
    }
}
