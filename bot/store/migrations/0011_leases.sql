-- Leases, so that several instances on one database share the work without doing it twice:
-- a reply in the outbox or an event in the inbox is claimed by one worker until its lease
-- runs out (`claim_due`, `claim_inbound`); a job that must run once at a time (the case
-- watch, the purge, the Zalo token refresh) holds a named singleton lease. A worker that
-- dies holding a lease loses it when the lease runs out, and another worker takes over.
ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
ALTER TABLE outbox ADD COLUMN lease_until TEXT;
ALTER TABLE inbox ADD COLUMN lease_owner TEXT;
ALTER TABLE inbox ADD COLUMN lease_until TEXT;
CREATE TABLE singletons (
    name   TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until  TEXT NOT NULL
);
