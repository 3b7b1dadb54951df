-- +goose Up
-- Whether a section's previous activation handed it over, durably: owner is the lease
-- owner ("<node>/<member id>/<activation id>") of the section's current activation and
-- prev_owner the one before it, both written by the activation's epoch bump;
-- handed_over_epoch is the epoch of the last activation that stopped cleanly (passivation,
-- drain, shutdown), written by that stop with an update fenced on its own epoch. An
-- activation whose predecessor's epoch is not handed_over_epoch follows a crash, a kill or
-- a partition: it took the section over. Sections that exist already count as handed over.
ALTER TABLE sections
    ADD COLUMN owner             text   NOT NULL DEFAULT '',
    ADD COLUMN prev_owner        text   NOT NULL DEFAULT '',
    ADD COLUMN handed_over_epoch bigint NOT NULL DEFAULT 0;
UPDATE sections SET handed_over_epoch = epoch;

-- +goose Down
ALTER TABLE sections
    DROP COLUMN owner,
    DROP COLUMN prev_owner,
    DROP COLUMN handed_over_epoch;
