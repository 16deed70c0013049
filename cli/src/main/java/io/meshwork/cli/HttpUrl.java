package io.meshwork.cli;

import java.net.URI;
import java.net.URISyntaxException;
import picocli.CommandLine;

/**
 * Reads the URL options ({@code --control-plane}, {@code --admin}, {@code --upstream}): an absolute
 * {@code http://} or {@code https://} URL with a host, refused otherwise with the option named by picocli
 * ("Invalid value for option '--control-plane': ...").
 */
final class HttpUrl implements CommandLine.ITypeConverter<URI> {

    @Override
    public URI convert(String value) {
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a URL (" + e.getReason()
                    + "); expected one like http://127.0.0.1:15014");
        }
        String scheme = uri.getScheme();
        if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https")) || uri.getHost() == null) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not an http:// URL with a host; expected one like "
                    + "http://127.0.0.1:15014");
        }
        return uri;
    }
}
