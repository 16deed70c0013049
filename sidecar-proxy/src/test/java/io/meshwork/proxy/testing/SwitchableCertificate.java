package io.meshwork.proxy.testing;

import io.meshwork.proxy.identity.WorkloadCertificate;
import io.meshwork.proxy.identity.WorkloadCertificateSource;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** A workload certificate that a test replaces, telling listeners as the CA client does on renewal. */
public final class SwitchableCertificate implements WorkloadCertificateSource {

    private final List<Consumer<WorkloadCertificate>> listeners = new CopyOnWriteArrayList<>();
    private volatile WorkloadCertificate current;

    public SwitchableCertificate(WorkloadCertificate first) {
        this.current = first;
    }

    public void replace(WorkloadCertificate next) {
        current = next;
        listeners.forEach(listener -> listener.accept(next));
    }

    @Override
    public WorkloadCertificate current() {
        return current;
    }

    @Override
    public void onChange(Consumer<WorkloadCertificate> listener) {
        listeners.add(listener);
    }
}
