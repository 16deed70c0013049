package io.meshwork.cli;

import io.meshwork.injector.InjectionTemplate;
import io.meshwork.injector.InjectorConfig;
import io.meshwork.injector.ManifestInjector;
import io.meshwork.injector.SidecarInjector;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mesh inject}: the webhook's injection applied to files, as {@code istioctl kube-inject}. */
@Command(name = "inject",
        description = "Add the sidecar to the pod templates of a multi-document YAML file (Pods, Deployments, "
                + "StatefulSets, DaemonSets, Jobs, CronJobs); other kinds pass through.")
public final class InjectCommand implements Callable<Integer> {

    @Option(names = {"-f", "--filename"}, required = true, paramLabel = "FILE", description = "Input YAML; - for stdin.")
    String input;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Where to write; stdout when absent.")
    Path output;

    @Option(names = "--config", paramLabel = "FILE", description = "Injector config YAML, as the webhook's --config.")
    Path config;

    @Option(names = "--kubernetes-version", paramLabel = "V",
            description = "Cluster version; from 1.29 the sidecar is a native sidecar (overrides --config).")
    String kubernetesVersion;

    @Option(names = "--hub", paramLabel = "H", description = "Image registry of the proxy image (with --tag).")
    String hub;

    @Option(names = "--tag", paramLabel = "T", description = "Image tag of the proxy image (with --hub).")
    String tag;

    @Override
    public Integer call() throws IOException {
        InjectorConfig injectorConfig = config == null ? InjectorConfig.defaults() : InjectorConfig.load(config);
        Map<String, String> overrides = new HashMap<>();
        if (kubernetesVersion != null) {
            overrides.put("kubernetesVersion", kubernetesVersion);
        }
        if (hub != null || tag != null) {
            overrides.put("proxyImage", InjectorConfig.proxyImage(hub == null ? InjectorConfig.DEFAULT_HUB : hub,
                    tag == null ? InjectorConfig.DEFAULT_TAG : tag));
        }
        injectorConfig = injectorConfig.with(overrides);

        String yaml = input.equals("-")
                ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8)
                : Files.readString(Path.of(input), StandardCharsets.UTF_8);
        List<String> notes = new ArrayList<>();
        String injected = new ManifestInjector(new SidecarInjector(new InjectionTemplate(injectorConfig)))
                .inject(yaml, input.equals("-") ? "stdin" : input, notes);
        notes.forEach(System.err::println);
        if (output == null) {
            System.out.print(injected);
        } else {
            Files.writeString(output, injected, StandardCharsets.UTF_8);
        }
        return 0;
    }
}
