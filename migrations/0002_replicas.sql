-- Tidings schema 2: several `tidings run` replicas on one database.

-- An outbox row is sent by the replica holding its lease; an expired lease is free.
ALTER TABLE outbox ADD COLUMN claimed_by text, ADD COLUMN lease_until timestamptz;

-- One-off work shared by the replicas: a poll firing of a source, a digest firing.
-- Claimed by one replica with a lease; done_at set when it finished.
CREATE TABLE jobs (
    key          text PRIMARY KEY,
    holder       text,
    lease_until  timestamptz,
    done_at      timestamptz,
    created      timestamptz NOT NULL DEFAULT now()
);

-- Shared pacing (per-host politeness, chat and robot rate limits): the earliest time
-- the next request under this key may go.
CREATE TABLE slots (
    key      text        PRIMARY KEY,
    next_at  timestamptz NOT NULL
);

-- The replicas, as each reports itself (status page).
CREATE TABLE replicas (
    id       text        PRIMARY KEY,
    host     text        NOT NULL,
    pid      integer     NOT NULL,
    listen   text,
    started  timestamptz NOT NULL,
    seen     timestamptz NOT NULL,
    holds    jsonb       NOT NULL DEFAULT '{}'::jsonb
);
