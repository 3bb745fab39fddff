-- The message id of each case's card in the staff group, so the card can be updated in place.
ALTER TABLE cases ADD COLUMN card_ref TEXT NOT NULL DEFAULT '';
