-- +goose Up

-- fence is the fencing token of the node that runs the link: raised by
-- one when a node takes the link over; a state save with a lower fence
-- (from a node that lost the link) is refused.
ALTER TABLE peer_links ADD COLUMN fence bigint NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE peer_links DROP COLUMN fence;
