package io.splitguard.gateway.logs;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.joran.spi.JoranException;
import ch.qos.logback.core.status.Status;
import ch.qos.logback.core.status.StatusUtil;
import java.io.ByteArrayOutputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;

/**
 * Configures a logback context from a real {@code logback.xml} and sends what its root appender would
 * print to memory instead: the same encoder instance, so the captured bytes are exactly what the
 * service writes to stdout.
 */
public final class CapturedLogs {

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();

    private CapturedLogs() {}

    /** Resets {@code context}, configures it from {@code config} and captures its root appender's output. */
    public static CapturedLogs install(LoggerContext context, URL config) {
        return install(context, config, Map.of());
    }

    /** As {@link #install(LoggerContext, URL)}, with context properties (they stand in for environment variables). */
    public static CapturedLogs install(LoggerContext context, URL config, Map<String, String> properties) {
        context.reset();
        properties.forEach(context::putProperty);
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        try {
            configurator.doConfigure(config);
        } catch (JoranException e) {
            throw new IllegalStateException("cannot configure logback from " + config, e);
        }
        if (new StatusUtil(context).getHighestLevel(0) >= Status.ERROR) {
            throw new IllegalStateException("logback reported errors configuring from " + config + ": "
                    + context.getStatusManager().getCopyOfStatusList());
        }
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Iterator<Appender<ILoggingEvent>> appenders = root.iteratorForAppenders();
        if (!appenders.hasNext()) {
            throw new IllegalStateException("the root logger of " + config + " has no appender");
        }
        Appender<ILoggingEvent> configured = appenders.next();
        if (appenders.hasNext() || !(configured instanceof OutputStreamAppender<ILoggingEvent> stream)) {
            throw new IllegalStateException("expected one output stream appender on the root logger");
        }
        Encoder<ILoggingEvent> encoder = stream.getEncoder();
        root.detachAppender(configured);
        CapturedLogs captured = new CapturedLogs();
        captured.appender.setName(configured.getName());
        captured.appender.setContext(context);
        captured.appender.setEncoder(encoder);
        captured.appender.setOutputStream(captured.bytes);
        captured.appender.setImmediateFlush(true);
        captured.appender.start();
        root.addAppender(captured.appender);
        return captured;
    }

    /** The name of the appender the configuration put on the root logger. */
    public String appenderName() {
        return appender.getName();
    }

    /** Everything written so far. */
    public String text() {
        synchronized (bytes) {
            return bytes.toString(StandardCharsets.UTF_8);
        }
    }
}
