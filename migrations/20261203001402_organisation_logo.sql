-- An organisation's logo, shown in its pages' header: a PNG checked from its header, or an SVG
-- re-written from an allow-list, by the application before it is written. Kept apart from the
-- organisation's row so that reading an organisation never carries the image; its hash names
-- its address (/organisations/{slug}/logo/{hash}), which therefore changes with the logo.
CREATE TABLE organisation_logo (
    organisation_id BIGINT PRIMARY KEY REFERENCES organisation (id) ON DELETE CASCADE,
    content         BYTEA NOT NULL CHECK (octet_length(content) BETWEEN 1 AND 524288),
    mime            TEXT NOT NULL CHECK (mime IN ('image/png', 'image/svg+xml')),
    hash            TEXT NOT NULL CHECK (hash ~ '^[0-9a-f]{32}$'),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The public pages are rendered once per plan revision and show the logo.
CREATE FUNCTION bump_logo_plans() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE plan SET revision = revision + 1
     WHERE organisation_id = CASE WHEN TG_OP = 'DELETE' THEN OLD.organisation_id ELSE NEW.organisation_id END;
    RETURN NULL;
END $$;
CREATE TRIGGER organisation_logo_revision AFTER INSERT OR UPDATE OR DELETE ON organisation_logo
    FOR EACH ROW EXECUTE FUNCTION bump_logo_plans();
