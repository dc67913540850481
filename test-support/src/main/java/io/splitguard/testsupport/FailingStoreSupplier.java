package io.splitguard.testsupport;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.errors.ProcessorStateException;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Supplies a real store that fails a chosen write the way RocksDB reports an I/O or disk-full error
 * ({@link ProcessorStateException}). Arm it with {@link #failPut(int)}: the n-th following put fails once.
 */
public final class FailingStoreSupplier implements KeyValueBytesStoreSupplier {

    private final KeyValueBytesStoreSupplier delegate;
    private final AtomicInteger putsUntilFailure = new AtomicInteger(-1);
    private final AtomicInteger failures = new AtomicInteger();

    public FailingStoreSupplier(KeyValueBytesStoreSupplier delegate) {
        this.delegate = delegate;
    }

    /** The {@code n}-th put from now (1 = the next one) throws, once. */
    public void failPut(int n) {
        putsUntilFailure.set(n);
    }

    /** How many puts were failed so far. */
    public int failures() {
        return failures.get();
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public KeyValueStore<Bytes, byte[]> get() {
        return new Store(delegate.get());
    }

    @Override
    public String metricsScope() {
        return delegate.metricsScope();
    }

    private void maybeFail() {
        if (putsUntilFailure.get() > 0 && putsUntilFailure.decrementAndGet() == 0) {
            failures.incrementAndGet();
            throw new ProcessorStateException("injected: write to the state store failed (disk full)");
        }
    }

    @SuppressWarnings("deprecation") // delegates the deprecated store methods too, so the real store behaves as usual
    private final class Store implements KeyValueStore<Bytes, byte[]> {
        private final KeyValueStore<Bytes, byte[]> inner;

        Store(KeyValueStore<Bytes, byte[]> inner) {
            this.inner = inner;
        }

        @Override
        public void put(Bytes key, byte[] value) {
            maybeFail();
            inner.put(key, value);
        }

        @Override
        public byte[] putIfAbsent(Bytes key, byte[] value) {
            maybeFail();
            return inner.putIfAbsent(key, value);
        }

        @Override
        public void putAll(List<KeyValue<Bytes, byte[]>> entries) {
            maybeFail();
            inner.putAll(entries);
        }

        @Override
        public byte[] delete(Bytes key) {
            return inner.delete(key);
        }

        @Override
        public byte[] get(Bytes key) {
            return inner.get(key);
        }

        @Override
        public KeyValueIterator<Bytes, byte[]> range(Bytes from, Bytes to) {
            return inner.range(from, to);
        }

        @Override
        public KeyValueIterator<Bytes, byte[]> all() {
            return inner.all();
        }

        @Override
        public long approximateNumEntries() {
            return inner.approximateNumEntries();
        }

        @Override
        public String name() {
            return inner.name();
        }

        @Override
        public void init(StateStoreContext context, StateStore root) {
            inner.init(context, root);
        }

        @Override
        public void flush() {
            inner.flush();
        }

        @Override
        public void commit(Map<TopicPartition, Long> changelogOffsets) {
            inner.commit(changelogOffsets);
        }

        @Override
        public Long committedOffset(TopicPartition partition) {
            return inner.committedOffset(partition);
        }

        @Override
        public boolean managesOffsets() {
            return inner.managesOffsets();
        }

        @Override
        public void close() {
            inner.close();
        }

        @Override
        public boolean persistent() {
            return inner.persistent();
        }

        @Override
        public boolean isOpen() {
            return inner.isOpen();
        }

        @Override
        public <R> QueryResult<R> query(Query<R> query, PositionBound bound, QueryConfig config) {
            return inner.query(query, bound, config);
        }

        @Override
        public Position getPosition() {
            return inner.getPosition();
        }
    }
}
