package io.meshwork.controlplane.canary;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A reader for the Prometheus text exposition format (version 0.0.4): samples with their labels. */
public final class PrometheusText {

    /** One sample line: metric name, labels, value. */
    public record Sample(String name, Map<String, String> labels, double value) {
        public String label(String key) {
            return labels.getOrDefault(key, "");
        }
    }

    private PrometheusText() {
    }

    /** Parses every sample line; comments and blank lines are skipped, a malformed line is an error naming it. */
    public static List<Sample> parse(String text) {
        List<Sample> samples = new ArrayList<>();
        String[] lines = text.split("\n");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            try {
                samples.add(parseLine(line));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("metrics line " + (i + 1) + " is not Prometheus text: " + line, e);
            }
        }
        return samples;
    }

    private static Sample parseLine(String line) {
        int brace = line.indexOf('{');
        int space = line.indexOf(' ');
        Map<String, String> labels = new LinkedHashMap<>();
        String name;
        String rest;
        if (brace >= 0 && (space < 0 || brace < space)) {
            name = line.substring(0, brace);
            int pos = brace + 1;
            while (line.charAt(pos) != '}') {
                int eq = line.indexOf('=', pos);
                String key = line.substring(pos, eq).strip();
                if (line.charAt(eq + 1) != '"') {
                    throw new IllegalArgumentException("label value not quoted");
                }
                StringBuilder value = new StringBuilder();
                int j = eq + 2;
                for (; line.charAt(j) != '"'; j++) {
                    char c = line.charAt(j);
                    if (c == '\\') {
                        char next = line.charAt(++j);
                        value.append(next == 'n' ? '\n' : next);
                    } else {
                        value.append(c);
                    }
                }
                labels.put(key, value.toString());
                pos = j + 1;
                if (line.charAt(pos) == ',') {
                    pos++;
                }
                while (line.charAt(pos) == ' ') {
                    pos++;
                }
            }
            rest = line.substring(pos + 1).strip();
        } else {
            name = line.substring(0, space);
            rest = line.substring(space + 1).strip();
        }
        String valueText = rest.split("\\s+")[0];
        return new Sample(name, labels, parseValue(valueText));
    }

    private static double parseValue(String text) {
        return switch (text) {
            case "+Inf", "Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(text);
        };
    }
}
