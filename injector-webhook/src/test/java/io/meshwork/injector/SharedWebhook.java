package io.meshwork.injector;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** One webhook server with the default config for all tests of a class (TLS setup is the slow part). */
abstract class SharedWebhook {

    @TempDir
    static Path webhookDir;
    static WebhookFixture webhook;

    @BeforeAll
    static void startWebhook() throws Exception {
        webhook = new WebhookFixture(webhookDir, InjectorConfig.defaults());
    }

    @AfterAll
    static void stopWebhook() {
        webhook.close();
    }
}
