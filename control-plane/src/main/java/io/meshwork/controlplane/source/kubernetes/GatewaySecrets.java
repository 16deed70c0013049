package io.meshwork.controlplane.source.kubernetes;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code kubernetes.io/tls} Secrets of the namespaces where Meshwork's Gateways refer to certificates, and only
 * those: one informer per namespace (field selector {@code type=kubernetes.io/tls}), started when a Gateway there first
 * needs it and stopped when none does any more. The control plane's ClusterRole reads no Secret; a namespace is
 * readable once {@code mesh install --gateway} granted it a Role. A namespace the API server refuses (403) is
 * {@link #forbidden()} until a list there succeeds; the informer keeps retrying, so a grant made later is picked up.
 * Nothing here logs a Secret's content: only namespaces and the API server's refusal.
 */
final class GatewaySecrets implements AutoCloseable {

    static final String TLS_TYPE = "kubernetes.io/tls";
    private static final Logger LOG = LoggerFactory.getLogger(GatewaySecrets.class);

    private final class Watched {
        final SharedIndexInformer<Secret> informer;
        final CompletableFuture<Void> firstAnswer = new CompletableFuture<>();
        volatile boolean refused;

        Watched(String namespace) {
            informer = client.secrets().inNamespace(namespace).withField("type", TLS_TYPE).runnableInformer(0);
            informer.exceptionHandler((started, t) -> {
                if (forbidden(t)) {
                    if (!refused) {
                        LOG.warn("kubernetes: may not read Secrets in namespace {} (403 Forbidden); retrying", namespace);
                    }
                    refused = true;
                    firstAnswer.complete(null);
                    onChange.run();
                } else {
                    LOG.warn("watching Secrets in namespace {}: {}; retrying", namespace, t.getMessage());
                }
                return true;
            });
            informer.addEventHandler(new ResourceEventHandler<>() {
                @Override
                public void onAdd(Secret secret) {
                    onChange.run();
                }

                @Override
                public void onUpdate(Secret before, Secret after) {
                    onChange.run();
                }

                @Override
                public void onDelete(Secret secret, boolean finalStateUnknown) {
                    onChange.run();
                }
            });
            informer.start().whenComplete((done, failed) -> {
                if (failed == null) {
                    refused = false;
                    onChange.run();
                }
                firstAnswer.complete(null);
            });
        }

        private static boolean forbidden(Throwable t) {
            for (Throwable cause = t; cause != null; cause = cause.getCause()) {
                if (cause instanceof KubernetesClientException e && e.getCode() == 403) {
                    return true;
                }
            }
            return false;
        }

        boolean forbidden() {
            return refused && !informer.hasSynced();
        }
    }

    private final KubernetesClient client;
    private final Runnable onChange;
    private final Map<String, Watched> byNamespace = new ConcurrentHashMap<>();
    private volatile boolean closed;

    GatewaySecrets(KubernetesClient client, Runnable onChange) {
        this.client = client;
        this.onChange = onChange;
    }

    /**
     * Watches exactly {@code namespaces} from now on; waits up to {@code firstAnswer} for the first list (or refusal) of
     * each namespace it starts. True when it started or stopped any (the caller rebuilds with what they hold now).
     */
    synchronized boolean watchOnly(Set<String> namespaces, Duration firstAnswer) {
        if (closed) {
            return false;
        }
        boolean changed = false;
        for (String namespace : List.copyOf(byNamespace.keySet())) {
            if (!namespaces.contains(namespace)) {
                byNamespace.remove(namespace).informer.stop();
                LOG.info("kubernetes: no Gateway refers to a Secret in namespace {} any more; stopped watching its "
                        + "Secrets", namespace);
                changed = true;
            }
        }
        List<Watched> started = new ArrayList<>();
        for (String namespace : new TreeSet<>(namespaces)) {
            if (!byNamespace.containsKey(namespace)) {
                Watched watched = new Watched(namespace);
                byNamespace.put(namespace, watched);
                started.add(watched);
                LOG.info("kubernetes: watching the {} Secrets of namespace {} (a Gateway's certificates are there)",
                        TLS_TYPE, namespace);
                changed = true;
            }
        }
        long deadline = System.nanoTime() + firstAnswer.toNanos();
        for (Watched watched : started) {
            try {
                watched.firstAnswer.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                // still listing: its Secrets come with the next rebuild
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return changed;
    }

    /** The Secrets held now, of type kubernetes.io/tls only (whether or not the server honoured the field selector). */
    List<Secret> secrets() {
        List<Secret> secrets = new ArrayList<>();
        for (Watched watched : byNamespace.values()) {
            for (Secret secret : watched.informer.getStore().list()) {
                if (TLS_TYPE.equals(secret.getType())) {
                    secrets.add(secret);
                }
            }
        }
        return secrets;
    }

    /** The namespaces watched now (for tests and the log). */
    Set<String> namespaces() {
        return new TreeSet<>(byNamespace.keySet());
    }

    /** The namespaces whose Secrets the API server refuses this control plane (403), with no list there since. */
    Set<String> forbidden() {
        Set<String> forbidden = new TreeSet<>();
        byNamespace.forEach((namespace, watched) -> {
            if (watched.forbidden()) {
                forbidden.add(namespace);
            }
        });
        return forbidden;
    }

    /** False once an informer stopped on its own. */
    boolean healthy() {
        return byNamespace.values().stream().allMatch(w -> w.informer.isRunning() || w.refused);
    }

    @Override
    public synchronized void close() {
        closed = true;
        byNamespace.values().forEach(w -> w.informer.stop());
        byNamespace.clear();
    }
}
