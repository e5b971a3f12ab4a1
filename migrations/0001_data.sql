-- Tidings schema 1: what a single daemon keeps (the same data as the sled trees).
-- Values are the daemon's serde structs as jsonb; the columns beside them are the keys
-- and what queries sort and filter on.

-- Items by (source, id); sort_time is the published time, else first seen (seconds).
CREATE TABLE items (
    source      text        NOT NULL,
    id          text        NOT NULL,
    sort_time   bigint      NOT NULL,
    first_seen  timestamptz NOT NULL,
    body        jsonb       NOT NULL,
    PRIMARY KEY (source, id)
);
CREATE INDEX items_newest ON items (sort_time DESC, source, id);

-- Items removed by retention while their source still listed them (never new again).
CREATE TABLE gone (
    source  text        NOT NULL,
    id      text        NOT NULL,
    listed  timestamptz NOT NULL,
    PRIMARY KEY (source, id)
);

-- What the daemon remembers about a source between polls; generation changes whenever
-- one of its items is stored or updated (published feeds are cached until then).
CREATE TABLE sources (
    source      text   PRIMARY KEY,
    state       jsonb  NOT NULL,
    generation  bigint NOT NULL DEFAULT 0
);

-- Deliveries waiting to be sent, by due time then order within what was queued together.
CREATE TABLE outbox (
    id      text        PRIMARY KEY,
    target  text        NOT NULL,
    due     timestamptz NOT NULL,
    seq     integer     NOT NULL,
    body    jsonb       NOT NULL
);
CREATE INDEX outbox_due ON outbox (due, seq, id);
CREATE INDEX outbox_target ON outbox (target);

-- Every delivery ever planned and what became of it: the dedup index of the outbox.
CREATE TABLE deliveries (
    id     text  PRIMARY KEY,
    state  jsonb NOT NULL
);

-- Items held for a target's next digest.
CREATE TABLE held (
    target     text   NOT NULL,
    sort_time  bigint NOT NULL,
    id         text   NOT NULL,
    body       jsonb  NOT NULL,
    PRIMARY KEY (target, sort_time, id)
);

CREATE TABLE subscribers (
    list     text  NOT NULL,
    address  text  NOT NULL,
    body     jsonb NOT NULL,
    PRIMARY KEY (list, address)
);

CREATE TABLE tokens (
    token  text  PRIMARY KEY,
    body   jsonb NOT NULL
);

-- Telegram chats and robots, by target key.
CREATE TABLE chats (
    target  text  PRIMARY KEY,
    body    jsonb NOT NULL
);

-- Standing alerts (a source down, a chat unreachable), by key.
CREATE TABLE incidents (
    key   text  PRIMARY KEY,
    body  jsonb NOT NULL
);

-- Queue rows that no longer decode, moved aside for inspection.
CREATE TABLE quarantine (
    tbl    text        NOT NULL,
    key    text        NOT NULL,
    value  text        NOT NULL,
    at     timestamptz NOT NULL DEFAULT now()
);

-- WebSub: subscribers of our feeds (we are their hub), and our subscriptions to hubs.
CREATE TABLE websub_hub (
    id    text  PRIMARY KEY,
    body  jsonb NOT NULL
);
CREATE TABLE websub_sources (
    source  text  PRIMARY KEY,
    body    jsonb NOT NULL
);
