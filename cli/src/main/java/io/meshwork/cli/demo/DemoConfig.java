package io.meshwork.cli.demo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The demo's copy of the sample config, moved onto free ports and addresses.
 *
 * <p>The sample files keep readable numbers (workloads at 127.0.0.2–5, echo apps on 18080 and 19081–19083)
 * so the README can name them. The demo's copy moves each Workload's {@code appPorts} to a free port and, when
 * another process already holds a workload port on 127.0.0.x, all workload {@code address}es to a free block
 * 127.a.b.x; comments that show the {@code mesh echo --port} command follow. Each Gateway listener's {@code port}
 * (and a route's {@code parentRefs} {@code port} naming one) moves to a free port too, and so do the listener ports that
 * comments show ({@code http://127.0.0.1:28080/}). So a demo runs beside anything else on the machine, another demo
 * included.
 */
final class DemoConfig {

    private static final Pattern BLOCK_START = Pattern.compile("^(\\s*)(appPorts|ports):\\s*$");
    private static final Pattern MAP_ENTRY = Pattern.compile("^(\\s*[\\w.-]+:\\s*)(\\d+)(\\s*)$");
    private static final Pattern ADDRESS = Pattern.compile("^(\\s*address:\\s*)127\\.(\\d+)\\.(\\d+)\\.(\\d+)(\\s*)$");
    private static final Pattern ECHO_PORT = Pattern.compile("--port (\\d+)");
    /** {@code listeners:} (a Gateway's) or {@code parentRefs:} (a route's), the rest of the line when written inline. */
    private static final Pattern LIST_START = Pattern.compile("^(\\s*)(listeners|parentRefs):(.*)$");
    private static final Pattern PORT_FIELD = Pattern.compile("(\\bport:\\s*)(\\d+)");

    private final LoopbackPorts ports;
    private final Map<Integer, Integer> appPorts = new LinkedHashMap<>();
    private final Map<Integer, Integer> listenerPorts = new LinkedHashMap<>();
    private String block;

    DemoConfig(LoopbackPorts ports) {
        this.ports = ports;
    }

    /**
     * Chooses where the workloads of {@code sources} (folders or files of YAML) go: a free port per app port and one
     * free address block. Call it once with every file the demo will use, before {@link #copy}.
     */
    void plan(List<Path> sources) throws IOException {
        TreeSet<Integer> hosts = new TreeSet<>();
        TreeSet<Integer> listenPorts = new TreeSet<>();
        String preferred = null;
        for (Path file : yamlFiles(sources)) {
            for (Line line : lines(file)) {
                if (line.inBlock("appPorts")) {
                    int port = line.entryValue();
                    if (!appPorts.containsKey(port)) {
                        appPorts.put(port, ports.next());
                    }
                } else if (line.inBlock("ports")) {
                    listenPorts.add(line.entryValue());
                }
                if ("listeners".equals(line.list())) {
                    Matcher port = PORT_FIELD.matcher(line.text());
                    while (port.find()) {
                        int original = Integer.parseInt(port.group(2));
                        if (!listenerPorts.containsKey(original)) {
                            listenerPorts.put(original, ports.next());
                        }
                    }
                }
                if (line.address().matches()) {
                    hosts.add(Integer.parseInt(line.address().group(4)));
                    if (preferred == null) {
                        preferred = "127." + line.address().group(2) + "." + line.address().group(3);
                    }
                }
            }
        }
        block = hosts.isEmpty() ? preferred : ports.freeBlock(hosts, listenPorts, preferred);
    }

    /** Copies every YAML file of {@code source} (a folder or one file) into {@code dir}, moved as {@link #plan} chose. */
    Path copy(Path source, Path dir) throws IOException {
        Files.createDirectories(dir);
        for (Path file : yamlFiles(List.of(source))) {
            List<String> out = new ArrayList<>();
            for (Line line : lines(file)) {
                String text = line.text();
                if (line.inBlock("appPorts")) {
                    text = line.entry().group(1) + moved(line.entryValue()) + line.entry().group(3);
                }
                if (line.address().matches() && block != null) {
                    text = line.address().group(1) + block + "." + line.address().group(4) + line.address().group(5);
                }
                if (line.list() != null && !text.stripLeading().startsWith("#")) {
                    // a listener's port, or a parentRef's port naming a listener (a Service's port stays)
                    text = PORT_FIELD.matcher(text).replaceAll(m -> Matcher.quoteReplacement(m.group(1)
                            + listenerPorts.getOrDefault(Integer.parseInt(m.group(2)), Integer.parseInt(m.group(2)))));
                }
                if (text.stripLeading().startsWith("#")) {
                    text = ECHO_PORT.matcher(text).replaceAll(m -> "--port " + moved(Integer.parseInt(m.group(1))));
                    for (Map.Entry<Integer, Integer> listener : listenerPorts.entrySet()) {
                        text = text.replaceAll(":" + listener.getKey() + "\\b", ":" + listener.getValue());
                    }
                }
                out.add(text);
            }
            Files.write(dir.resolve(file.getFileName()), out, StandardCharsets.UTF_8);
        }
        return dir;
    }

    /** Where the demo's copy puts the Gateway listener on {@code port} of the samples (the same port if none is there). */
    int listenerPort(int port) {
        return listenerPorts.getOrDefault(port, port);
    }

    /**
     * One line of a YAML file, with the {@code appPorts:}/{@code ports:} map it is an entry of, if any, and the
     * {@code listeners:}/{@code parentRefs:} list it is part of, if any.
     */
    private record Line(String text, String block, Matcher entry, Matcher address, String list) {
        boolean inBlock(String name) {
            return name.equals(block);
        }

        int entryValue() {
            return Integer.parseInt(entry.group(2));
        }
    }

    private static List<Line> lines(Path file) throws IOException {
        List<Line> lines = new ArrayList<>();
        String blockName = null;
        int blockIndent = -1;
        String listName = null;
        int listIndent = -1;
        for (String text : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            int indent = indentOf(text);
            Matcher listStart = LIST_START.matcher(text);
            String listOf = null;
            if (listStart.matches()) {
                listOf = listStart.group(2);
                // written inline (parentRefs: [{name: web, port: 28443}]): this line only
                boolean inline = !listStart.group(3).isBlank() && !listStart.group(3).strip().startsWith("#");
                listName = inline ? null : listOf;
                listIndent = inline ? -1 : indent;
            } else if (listName != null && !text.isBlank() && !text.stripLeading().startsWith("#")) {
                // a block list's items may sit at the key's own indent ("listeners:\n- name: http")
                if (indent > listIndent || (indent == listIndent && text.stripLeading().startsWith("- "))) {
                    listOf = listName;
                } else {
                    listName = null;
                    listIndent = -1;
                }
            }
            Matcher start = BLOCK_START.matcher(text);
            Matcher entry = MAP_ENTRY.matcher(text);
            Matcher address = ADDRESS.matcher(text);
            String entryOf = null;
            if (start.matches()) {
                blockName = start.group(2);
                blockIndent = indent;
            } else if (blockName != null && indent > blockIndent && entry.matches()) {
                entryOf = blockName;
            } else if (!text.isBlank() && indent <= blockIndent) {
                blockName = null;
                blockIndent = -1;
            }
            address.matches();
            lines.add(new Line(text, entryOf, entry, address, listOf));
        }
        return lines;
    }

    private int moved(int port) {
        return appPorts.getOrDefault(port, port);
    }

    private static int indentOf(String line) {
        int i = 0;
        while (i < line.length() && line.charAt(i) == ' ') {
            i++;
        }
        return i;
    }

    private static List<Path> yamlFiles(List<Path> sources) throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path source : sources) {
            if (Files.isDirectory(source)) {
                try (Stream<Path> list = Files.list(source)) {
                    list.filter(DemoConfig::isYaml).sorted().forEach(files::add);
                }
            } else if (isYaml(source)) {
                files.add(source);
            }
        }
        return files;
    }

    private static boolean isYaml(Path file) {
        String name = file.getFileName().toString();
        return name.endsWith(".yaml") || name.endsWith(".yml");
    }
}
