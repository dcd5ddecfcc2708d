package dev.jemma.server.api;

import dev.jemma.server.http.Json;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jemma.generate.TokenEvent;
import dev.jemma.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;

/** Token log-probabilities in OpenAI's chat shape: {token, logprob, bytes, top_logprobs[{token, logprob, bytes}]}. */
final class Logprobs {
    private Logprobs() {}

    static ObjectNode entry(Tokenizer tok, TokenEvent e) {
        ObjectNode o = Json.object();
        token(tok, e.tokenId(), e.logprob(), o);
        ArrayNode top = o.putArray("top_logprobs");
        for (int i = 0; i < e.topIds().length; i++) token(tok, e.topIds()[i], e.topLogprobs()[i], top.addObject());
        return o;
    }

    private static void token(Tokenizer tok, int id, float logprob, ObjectNode o) {
        byte[] b = tok.tokenBytes(id);
        if (b == null) b = new byte[0];
        o.put("token", new String(b, StandardCharsets.UTF_8));
        o.put("logprob", Float.isFinite(logprob) ? logprob : -9999f);
        ArrayNode bytes = o.putArray("bytes");
        for (byte x : b) bytes.add(x & 0xFF);
    }

    static String text(Tokenizer tok, int id) {
        byte[] b = tok.tokenBytes(id);
        return b == null ? "" : new String(b, StandardCharsets.UTF_8);
    }
}
