-- The uploaded file, kept with its preview so that a person may choose the sheet and what each
-- column holds and have it read again (at most 10 MB; the preview is purged after 24 hours).
ALTER TABLE import_draft ADD COLUMN file BYTEA;

-- What each column held at an organisation's last import, as its administrators mapped it:
-- { "folded header": "field key" | "ignore" }, applied to the next file's columns of the same
-- header.
CREATE TABLE import_mapping (
    organisation_id BIGINT PRIMARY KEY REFERENCES organisation (id) ON DELETE CASCADE,
    columns         JSONB NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
