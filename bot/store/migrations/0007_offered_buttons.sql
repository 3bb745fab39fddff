-- Buttons offered to a person on a channel whose button presses come back as plain text (Zalo's
-- query buttons send their payload, which is the label, as the person's message): the label
-- leads back to the button's data.
CREATE TABLE offered_buttons (
    channel     TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    label       TEXT NOT NULL,
    data        TEXT NOT NULL,
    offered_at  TEXT NOT NULL,
    PRIMARY KEY (channel, recipient, label)
);
