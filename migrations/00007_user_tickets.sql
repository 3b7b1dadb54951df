-- +goose Up
-- Each user's held and bought tickets per event, kept by the section actors' batches in
-- events of several sections: a batch that gives a user tickets locks the user's row and
-- is refused when it would take the count past the event's max_tickets_per_user, so two
-- sections deciding at once cannot both give a user their last tickets. Releases,
-- expiries and cancels give tickets back. (The lock strategy keeps its own per-user lock
-- and does not use this table.)
CREATE TABLE user_tickets (
    event_id text    NOT NULL REFERENCES events (id),
    user_id  text    NOT NULL,
    tickets  integer NOT NULL DEFAULT 0 CHECK (tickets >= 0),
    PRIMARY KEY (event_id, user_id)
);
INSERT INTO user_tickets (event_id, user_id, tickets)
SELECT event_id, user_id, sum(quantity) FROM (
    SELECT event_id, user_id, quantity FROM holds WHERE status = 'held'
    UNION ALL
    SELECT event_id, user_id, quantity FROM orders WHERE status = 'confirmed'
) AS t
GROUP BY event_id, user_id;

-- +goose Down
DROP TABLE user_tickets;
