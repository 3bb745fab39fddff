-- A new reply in the outbox notifies every listening instance (channel hotline_outbox, the
-- reply's channel as payload); the notification goes out when the unit of work commits, and
-- identical ones of one transaction are folded into one by PostgreSQL.
CREATE FUNCTION hotline_outbox_wake() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('hotline_outbox', NEW.channel);
    RETURN NULL;
END
$$;
CREATE TRIGGER outbox_wake AFTER INSERT ON outbox
    FOR EACH ROW EXECUTE FUNCTION hotline_outbox_wake();
