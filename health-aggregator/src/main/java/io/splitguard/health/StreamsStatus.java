package io.splitguard.health;

/**
 * What a Kafka Streams application reports about itself for the {@code streams} component, in plain
 * values so the library needs no Kafka Streams (the topology fills it in from its {@code KafkaStreams}).
 *
 * @param state the Kafka Streams state ({@code RUNNING}, {@code REBALANCING}, {@code ERROR}, ...)
 * @param threadsAlive stream threads alive
 * @param activeTasks tasks this instance owns
 * @param standbyTasks standby tasks it keeps warm
 * @param activeLag records the owned tasks have not processed yet (end offsets minus committed)
 * @param standbyLag records the standby stores are behind their changelogs
 */
public record StreamsStatus(
        String state, int threadsAlive, int activeTasks, int standbyTasks, long activeLag, long standbyLag) {}
