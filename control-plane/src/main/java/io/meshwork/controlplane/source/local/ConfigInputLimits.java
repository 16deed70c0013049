package io.meshwork.controlplane.source.local;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * The bounds a config file must keep before it is parsed, each checked in one linear pass.
 *
 * <p>The YAML scanner is not linear: it copies its buffer for every block it reads of one token, so a
 * single long value costs the square of its length (4 MB: 6 s, 16 MB: 206 s), and every document of
 * a file is kept in memory while the file is read. A file over a bound is refused whole (as a file
 * that is not valid YAML is: the objects last accepted from it stay) with one line naming the bound.
 *
 * @param maxFileBytes  the largest file read (a larger one is not even opened past its size)
 * @param maxDocuments  the most documents ({@code ---} separators + 1) in one file
 * @param maxLineChars  the longest line; a value longer than this must be split over lines
 */
public record ConfigInputLimits(long maxFileBytes, int maxDocuments, int maxLineChars) {

    /** 8 MiB files, 50,000 documents, 256 KiB lines: a 20,000-service mesh fits in one file. */
    public static final ConfigInputLimits DEFAULT = new ConfigInputLimits(8L << 20, 50_000, 256 << 10);

    public ConfigInputLimits {
        if (maxFileBytes < 1 || maxFileBytes > Integer.MAX_VALUE - 8 || maxDocuments < 1 || maxLineChars < 1) {
            throw new IllegalArgumentException("config input limits must be positive (file size below 2 GiB): "
                    + maxFileBytes + " bytes, " + maxDocuments + " documents, " + maxLineChars + " characters per line");
        }
    }

    /** The same limits with another file size limit ({@code --max-config-file-size}). */
    public ConfigInputLimits withMaxFileBytes(long bytes) {
        return new ConfigInputLimits(bytes, maxDocuments, maxLineChars);
    }

    /** Thrown when a file is refused before parsing; the message is the one line to report. */
    static final class Refused extends Exception {
        Refused(String message) {
            super(message, null, false, false);
        }
    }

    /** Reads a file as UTF-8 text if it keeps every bound; never reads more than the size limit. */
    String read(Path path) throws IOException, Refused {
        long size = Files.size(path);
        if (size > maxFileBytes) {
            throw tooLarge(size);
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(path)) {
            // The file may grow between the size check and the read: read one byte past the limit at most.
            bytes = in.readNBytes((int) maxFileBytes + 1);
        }
        if (bytes.length > maxFileBytes) {
            throw tooLarge(bytes.length);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IOException("not UTF-8 text: " + e.getMessage(), e);
        }
        check(text);
        return text;
    }

    /** Checks text already in memory (line length and document count; its size as UTF-8 bytes is at most 4 per char). */
    void check(String text) throws Refused {
        if (text.length() > maxFileBytes) {
            throw tooLarge(text.length());
        }
        int documents = 1;
        int lineStart = 0;
        int line = 1;
        int length = text.length();
        for (int i = 0; i <= length; i++) {
            if (i == length || text.charAt(i) == '\n') {
                if (i - lineStart > maxLineChars) {
                    throw new Refused(String.format("refused before parsing: line %d is %,d characters long, over the "
                            + "limit of %,d (split a long value over several lines)", line, i - lineStart, maxLineChars));
                }
                lineStart = i + 1;
                line++;
            } else if (i == lineStart && isDocumentStart(text, i)) {
                documents++;
                if (documents > maxDocuments) {
                    throw new Refused(String.format("refused before parsing: more than %,d documents (at line %,d); "
                            + "split the file", maxDocuments, line));
                }
            }
        }
    }

    /** The parser's settings: its own limits agree with these ones, as a second line of defence. */
    LoadSettings loadSettings(String fileName) {
        return LoadSettings.builder().setLabel(fileName).setCodePointLimit((int) Math.min(Integer.MAX_VALUE, maxFileBytes))
                .setMaxAliasesForCollections(50).setAllowRecursiveKeys(false).build();
    }

    /** A {@code ---} marker: three dashes at the start of a line, then the end, a space, a tab or a line break. */
    private static boolean isDocumentStart(String text, int i) {
        if (!text.startsWith("---", i)) {
            return false;
        }
        if (i + 3 == text.length()) {
            return true;
        }
        char next = text.charAt(i + 3);
        return next == ' ' || next == '\t' || next == '\n' || next == '\r';
    }

    private Refused tooLarge(long size) {
        return new Refused(String.format("refused before parsing: %,d bytes, over the limit of %,d "
                + "(--max-config-file-size)", size, maxFileBytes));
    }
}
