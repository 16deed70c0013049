package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.HttpRouteGroup;
import io.meshwork.controlplane.model.ObjectRef;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads an SMI HTTPRouteGroup (v1alpha1 to v1alpha4; {@code matches} under {@code spec}, or at the
 * top level as in v1alpha1/v1alpha2). Regexes must compile and stay within RE2 (see {@link Re2Syntax});
 * methods are HTTP methods or {@code *}; headers are a mapping or, as older versions wrote them, a
 * list of one-entry mappings. Header names are lower-cased, as HTTP/2 sends them.
 */
final class HttpRouteGroupParser implements KindParser<HttpRouteGroup> {

    static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "*");

    @Override
    public HttpRouteGroup parse(ObjectRef ref, String apiVersion, YamlObject document, YamlObject metadata) {
        YamlObject holder = document.optionalObject("spec").filter(spec -> spec.has("matches")).orElse(document);
        List<YamlObject> items = holder.objectList("matches");
        if (items.isEmpty()) {
            throw holder.error("matches", "at least one match is required");
        }
        List<HttpRouteGroup.Match> matches = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (YamlObject item : items) {
            String name = item.requiredString("name");
            if (!names.add(name)) {
                throw item.error("name", "\"" + name + "\" is used by another match of this group");
            }
            Optional<String> pathRegex = item.optionalString("pathRegex");
            pathRegex.ifPresent(regex -> Re2Syntax.check(item, "pathRegex", regex));
            List<String> methods = item.stringList("methods");
            for (String method : methods) {
                if (!METHODS.contains(method)) {
                    throw item.error("methods", "\"" + method + "\" is not an HTTP method (GET, POST, ... in capitals, or *)");
                }
            }
            matches.add(new HttpRouteGroup.Match(name, pathRegex.orElse(""), methods, headers(item)));
        }
        return new HttpRouteGroup(ref, matches);
    }

    private static Map<String, String> headers(YamlObject item) {
        List<YamlObject> groups = item.isList("headers")
                ? item.objectList("headers")
                : item.optionalObject("headers").map(List::of).orElse(List.of());
        Map<String, String> headers = new TreeMap<>();
        for (YamlObject group : groups) {
            for (String name : group.fields().keySet()) {
                String regex = group.optionalString(name).orElseThrow();
                Re2Syntax.check(group, name, regex);
                if (headers.put(name.toLowerCase(Locale.ROOT), regex) != null) {
                    throw group.error(name, "header \"" + name + "\" is matched twice");
                }
            }
        }
        return headers;
    }
}
