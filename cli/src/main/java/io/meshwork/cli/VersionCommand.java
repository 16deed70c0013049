package io.meshwork.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;

/** {@code mesh version}: the version of this build. */
@Command(name = "version", description = "Print the Meshwork version.")
public final class VersionCommand implements Runnable {

    @Override
    public void run() {
        System.out.println("mesh " + version());
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "0.1.0-SNAPSHOT" : v;
    }

    /** Feeds {@code mesh --version}. */
    public static final class Provider implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"mesh " + version()};
        }
    }
}
