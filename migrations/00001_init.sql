-- +goose Up
CREATE TABLE events (
    id                   text PRIMARY KEY,
    name                 text        NOT NULL,
    venue                text        NOT NULL,
    starts_at            timestamptz NOT NULL,
    currency             text        NOT NULL,
    status               text        NOT NULL DEFAULT 'on_sale',
    max_tickets_per_user integer     NOT NULL DEFAULT 8 CHECK (max_tickets_per_user > 0),
    created_at           timestamptz NOT NULL DEFAULT now()
);

-- One row per (event, section). epoch and version are the fence: epoch rises on every
-- activation of the section actor, version on every committed batch. held and sold are
-- the general-admission counters (kept for reserved sections too, as a summary).
CREATE TABLE sections (
    event_id    text    NOT NULL REFERENCES events (id),
    id          text    NOT NULL,
    position    integer NOT NULL,
    name        text    NOT NULL,
    kind        text    NOT NULL CHECK (kind IN ('reserved', 'general_admission')),
    price_cents bigint  NOT NULL CHECK (price_cents >= 0),
    capacity    integer NOT NULL CHECK (capacity >= 0),
    held        integer NOT NULL DEFAULT 0,
    sold        integer NOT NULL DEFAULT 0,
    epoch       bigint  NOT NULL DEFAULT 0,
    version     bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, id),
    CHECK (held >= 0 AND sold >= 0 AND held + sold <= capacity)
);

CREATE TABLE seats (
    event_id   text    NOT NULL,
    section_id text    NOT NULL,
    id         text    NOT NULL,
    row_label  text    NOT NULL,
    row_index  integer NOT NULL,
    number     integer NOT NULL,
    accessible boolean NOT NULL DEFAULT false,
    status     text    NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'held', 'sold')),
    hold_id    text,
    order_id   text,
    PRIMARY KEY (event_id, section_id, id),
    FOREIGN KEY (event_id, section_id) REFERENCES sections (event_id, id),
    CHECK ((status = 'available') = (hold_id IS NULL AND order_id IS NULL)),
    CHECK (status <> 'held' OR hold_id IS NOT NULL),
    CHECK (status <> 'sold' OR order_id IS NOT NULL)
);

CREATE TABLE holds (
    id              text        PRIMARY KEY,
    event_id        text        NOT NULL,
    section_id      text        NOT NULL,
    user_id         text        NOT NULL,
    seats           text[]      NOT NULL DEFAULT '{}',
    quantity        integer     NOT NULL CHECK (quantity > 0),
    status          text        NOT NULL CHECK (status IN ('held', 'released', 'expired', 'confirmed')),
    expires_at      timestamptz NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    order_id        text,
    FOREIGN KEY (event_id, section_id) REFERENCES sections (event_id, id)
);
CREATE INDEX holds_active ON holds (event_id, section_id) WHERE status = 'held';
CREATE INDEX holds_user ON holds (user_id, event_id) WHERE status = 'held';

CREATE TABLE orders (
    id          text        PRIMARY KEY,
    hold_id     text        NOT NULL UNIQUE REFERENCES holds (id),
    event_id    text        NOT NULL,
    section_id  text        NOT NULL,
    user_id     text        NOT NULL,
    seats       text[]      NOT NULL DEFAULT '{}',
    quantity    integer     NOT NULL CHECK (quantity > 0),
    status      text        NOT NULL CHECK (status IN ('confirmed', 'cancelled')),
    total_cents bigint      NOT NULL,
    currency    text        NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX orders_user ON orders (user_id, created_at DESC);
CREATE INDEX orders_section ON orders (event_id, section_id) WHERE status = 'confirmed';

-- One row per sold reserved seat. The partial unique index is the last net: whatever the
-- layers above do, one seat cannot belong to two confirmed orders.
CREATE TABLE tickets (
    order_id   text NOT NULL REFERENCES orders (id),
    event_id   text NOT NULL,
    section_id text NOT NULL,
    seat_id    text NOT NULL,
    status     text NOT NULL CHECK (status IN ('sold', 'cancelled')),
    PRIMARY KEY (order_id, seat_id)
);
CREATE UNIQUE INDEX tickets_one_sale_per_seat ON tickets (event_id, section_id, seat_id) WHERE status = 'sold';

-- Idempotency keys are scoped per user. response holds the encoded first answer.
CREATE TABLE idempotency_keys (
    user_id      text        NOT NULL,
    key          text        NOT NULL,
    event_id     text        NOT NULL,
    section_id   text        NOT NULL,
    request_hash bytea       NOT NULL,
    response     bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_section ON idempotency_keys (event_id, section_id, created_at);

-- The transactional outbox: written in the same transaction as the change it announces.
CREATE TABLE outbox (
    id           bigserial   PRIMARY KEY,
    topic        text        NOT NULL,
    key          text        NOT NULL,
    payload      bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;

-- What the notifications consumer has seen, one row per event envelope.
CREATE TABLE notifications (
    envelope_id text        PRIMARY KEY,
    topic       text        NOT NULL,
    key         text        NOT NULL,
    type        text        NOT NULL,
    partition   integer     NOT NULL,
    "offset"    bigint      NOT NULL,
    payload     jsonb       NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE notifications;
DROP TABLE outbox;
DROP TABLE idempotency_keys;
DROP TABLE tickets;
DROP TABLE orders;
DROP TABLE holds;
DROP TABLE seats;
DROP TABLE sections;
DROP TABLE events;
