package io.meshwork.controlplane.source.local;

/**
 * Where a YAML document came from: file name (relative to the config folder), 1-based document
 * index within the file and 1-based line (0 when unknown).
 */
public record SourceLocation(String file, int documentIndex, int line) {

    /** The same document, pointing at another line (a field inside it). */
    SourceLocation atLine(int newLine) {
        return new SourceLocation(file, documentIndex, newLine > 0 ? newLine : line);
    }

    /** Whether both name the same document, whatever the line. */
    boolean sameDocument(SourceLocation other) {
        return file.equals(other.file) && documentIndex == other.documentIndex;
    }

    /** {@code file doc N}, without the line. */
    String document() {
        return file + " doc " + documentIndex;
    }

    @Override
    public String toString() {
        return document() + (line > 0 ? " (line " + line + ")" : "");
    }
}
