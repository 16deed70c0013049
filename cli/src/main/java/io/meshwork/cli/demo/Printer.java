package io.meshwork.cli.demo;

import java.io.PrintStream;

/** The demo's output: headings, steps and results, in color unless told otherwise, silent with --quiet. */
final class Printer {

    private final PrintStream out;
    private final boolean color;
    private final boolean quiet;

    Printer(PrintStream out, boolean color, boolean quiet) {
        this.out = out;
        this.color = color;
        this.quiet = quiet;
    }

    void heading(String text) {
        line("");
        line(paint("1", "== " + text));
    }

    void step(String text) {
        line("  " + text);
    }

    void ok(String text) {
        line("  " + paint("32", "✔ ") + text);
    }

    void bad(String text) {
        line("  " + paint("31", "✘ ") + text);
    }

    /** Always printed, even with --quiet: the summary and errors. */
    void always(String text) {
        out.println(text);
        out.flush();
    }

    void line(String text) {
        if (!quiet) {
            out.println(text);
            out.flush();
        }
    }

    String paint(String code, String text) {
        return color ? "\u001b[" + code + "m" + text + "\u001b[0m" : text;
    }
}
