-- +goose Up
-- The attempt log: every command a section decides, granted or refused, numbered per
-- section in decision order (seq from 1, no gaps), written by the batch of its decision.
-- seats are the seats the command named or touched; ref the hold or order it named or
-- made; code is empty when granted; cause_seq is, for a refusal, the attempt it rests on
-- (0 when unknown); command is the command as the section received it (protobuf), kind
-- its message name, for replay. The section row carries the number of its last attempt,
-- which every batch moves under the fence. The retention pruner walks attempts_at.
ALTER TABLE sections ADD COLUMN attempt_seq bigint NOT NULL DEFAULT 0;

CREATE TABLE attempts (
    event_id   text        NOT NULL,
    section_id text        NOT NULL,
    seq        bigint      NOT NULL,
    at         timestamptz NOT NULL,
    version    bigint      NOT NULL,
    user_id    text        NOT NULL,
    action     text        NOT NULL,
    seats      text[]      NOT NULL,
    ref        text        NOT NULL,
    code       text        NOT NULL,
    cause_seq  bigint      NOT NULL,
    kind       text        NOT NULL,
    command    bytea       NOT NULL,
    PRIMARY KEY (event_id, section_id, seq)
);
CREATE INDEX attempts_at ON attempts (at);

-- +goose Down
DROP TABLE attempts;
ALTER TABLE sections DROP COLUMN attempt_seq;
