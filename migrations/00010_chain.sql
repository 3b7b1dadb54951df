-- +goose Up
-- The hash chain of the record (actors.FoldAttempt, actors.ChainLink): the section row
-- carries the digest of its attempts and the link of its current version, which every
-- batch moves under the fence; section_chain keeps each version's link, with the last
-- attempt it covers and the digest there, for the verifier.
ALTER TABLE sections ADD COLUMN attempt_digest bytea NOT NULL DEFAULT '';
ALTER TABLE sections ADD COLUMN chain bytea NOT NULL DEFAULT '';

CREATE TABLE section_chain (
    event_id       text   NOT NULL,
    section_id     text   NOT NULL,
    version        bigint NOT NULL,
    attempt_seq    bigint NOT NULL,
    attempt_digest bytea  NOT NULL,
    chain          bytea  NOT NULL,
    PRIMARY KEY (event_id, section_id, version)
);

-- +goose Down
DROP TABLE section_chain;
ALTER TABLE sections DROP COLUMN chain;
ALTER TABLE sections DROP COLUMN attempt_digest;
