package io.splitguard.sink.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.BatchUpdateException;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

class SqlErrorsTest {

    @Test
    void shouldTreatContentErrorsAsRecordSpecificButNotInfrastructureErrors() {
        assertThat(SqlErrors.isRecordSpecific(new SQLException("bad escape", "22P05")))
                .isTrue();
        assertThat(SqlErrors.isRecordSpecific(new SQLException("null", "23502")))
                .isTrue();
        assertThat(SqlErrors.isRecordSpecific(new SQLException("connection refused", "08001")))
                .isFalse();
        assertThat(SqlErrors.isRecordSpecific(new SQLException("deadlock", "40P01")))
                .isFalse();
        assertThat(SqlErrors.isRecordSpecific(new SQLException("duplicate", "23505")))
                .isFalse();
    }

    @Test
    void shouldLookThroughBatchExceptionsToTheStatementError() {
        BatchUpdateException batch = new BatchUpdateException("batch entry 0 aborted", null, 0, new int[0]);
        batch.setNextException(new SQLException("invalid byte sequence", "22021"));

        assertThat(SqlErrors.isRecordSpecific(batch)).isTrue();
    }
}
