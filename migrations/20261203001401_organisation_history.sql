-- What administrators change at the organisation's level (its services, its logo), outside any
-- plan and year, so change_log (tied to a plan and a year) does not fit. Append-only like
-- change_log: it keeps the names it speaks of, and nothing updates or deletes it.
CREATE TABLE organisation_log (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisation (id),
    -- What changed, in French, as the history shows it: « Service ajouté », « Services fusionnés »…
    what            TEXT NOT NULL CHECK (btrim(what) <> ''),
    before          TEXT,
    after           TEXT,
    user_id         BIGINT NOT NULL REFERENCES app_user (id),
    at              TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX organisation_log_recent ON organisation_log (organisation_id, at DESC, id DESC);

CREATE TRIGGER organisation_log_append_only BEFORE UPDATE OR DELETE ON organisation_log
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER organisation_log_no_truncate BEFORE TRUNCATE ON organisation_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();
