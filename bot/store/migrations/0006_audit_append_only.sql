-- The audit log is append-only: an entry can be removed by the retention purge when it is old
-- enough, never changed.
CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
