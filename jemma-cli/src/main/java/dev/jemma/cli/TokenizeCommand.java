package dev.jemma.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jemma.JemmaException;
import dev.jemma.gguf.GGUFFile;
import dev.jemma.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "tokenize", description = {
        "Print token ids as {\"ids\":[...]}. With no TEXT, read JSON lines {\"text\": ...} from stdin and write one line per input.",
        "Special-token text such as <start_of_turn> is matched, as Hugging Face's encode does; --plain treats it as text."})
final class TokenizeCommand implements Callable<Integer> {
    @Mixin ModelOptions model;
    @Option(names = "--tokenizer", description = "a Hugging Face tokenizer.json instead of a model")
    Path tokenizerJson;
    @Option(names = "--bos", description = "prepend BOS")
    boolean bos;
    @Option(names = "--plain", description = "never match control tokens in the text")
    boolean plain;
    @Parameters(arity = "0..1", paramLabel = "TEXT")
    String text;

    @Override
    public Integer call() throws Exception {
        Tokenizer tok;
        if (tokenizerJson != null) {
            tok = Tokenizer.fromTokenizerJson(tokenizerJson);
        } else {
            java.nio.file.Path m = model.resolve();
            if (java.nio.file.Files.isRegularFile(m.resolve("tokenizer.json"))) {
                tok = Tokenizer.fromTokenizerJson(m.resolve("tokenizer.json")); // a Hugging Face folder's own tokenizer
            } else {
                try (GGUFFile f = dev.jemma.hf.ModelFiles.open(m)) {
                    tok = Tokenizer.fromGGUF(f.metadata());
                }
            }
        }
        ObjectMapper om = new ObjectMapper();
        var out = System.out;
        if (text != null) {
            out.println(ids(tok, text));
            return 0;
        }
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        int lineNo = 0;
        for (String line; (line = in.readLine()) != null; ) {
            lineNo++;
            if (line.isBlank()) continue;
            JsonNode node;
            try {
                node = om.readTree(line);
            } catch (Exception e) {
                throw new JemmaException("stdin line " + lineNo + " is not JSON: " + e.getMessage());
            }
            if (node == null || !node.isObject() || !node.path("text").isTextual()) {
                throw new JemmaException("stdin line " + lineNo + " must be an object with a string field \"text\"");
            }
            out.println(ids(tok, node.get("text").asText()));
        }
        out.flush();
        return 0;
    }

    private String ids(Tokenizer tok, String s) {
        int[] ids = plain ? tok.encode(s) : tok.encodeWithSpecial(s);
        StringBuilder b = new StringBuilder("{\"ids\":[");
        if (bos) b.append(tok.bosId()).append(ids.length > 0 ? "," : "");
        for (int i = 0; i < ids.length; i++) b.append(i == 0 ? "" : ",").append(ids[i]);
        return b.append("]}").toString();
    }
}
