package io.splitguard.chaos.cluster;

import java.util.Map;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.Options;

/**
 * RocksDB settings for chaos runs whose topology state lives on a small filesystem (given to the
 * topology as {@code rocksdb.config.setter}, through {@code SPLITGUARD_STREAMS_ROCKSDB_CONFIG_SETTER}):
 * small memtables, so the stores write SST files every few seconds under the workload (with the default
 * 16 MiB memtables a five-minute run may never touch the disk, and a full disk would go unnoticed), and
 * small preallocations, so a store's footprint is what it holds. Durability and the exactly-once
 * mechanics are untouched: the changelog topics stay the source of truth.
 */
public final class SmallRocksDbFootprint implements RocksDBConfigSetter {

    static final long WRITE_BUFFER_BYTES = 64 * 1024;

    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        options.setWriteBufferSize(WRITE_BUFFER_BYTES);
        options.setTargetFileSizeBase(1024 * 1024);
        options.setManifestPreallocationSize(64 * 1024);
    }

    @Override
    public void close(String storeName, Options options) {
        // nothing allocated here
    }
}
