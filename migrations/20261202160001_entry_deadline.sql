-- Each organisation's « date limite de saisie »: a week before it (or at once when set closer),
-- every pilot and procurement officer is reminded by e-mail of the values still missing; each
-- reminder is sent once, as recorded here.
ALTER TABLE organisation ADD COLUMN entry_deadline DATE;

CREATE TABLE reminder_sent (
    organisation_id BIGINT NOT NULL REFERENCES organisation (id) ON DELETE CASCADE,
    deadline        DATE NOT NULL,
    sent_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (organisation_id, deadline)
);
