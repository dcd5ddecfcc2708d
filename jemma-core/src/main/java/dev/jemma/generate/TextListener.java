package dev.jemma.generate;

/** Receives generated text as it is produced; each piece is whole UTF-8 characters and never part of a stop string. */
@FunctionalInterface
public interface TextListener {
    void onText(String delta);

    TextListener NONE = delta -> {};
}
