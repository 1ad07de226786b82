-- Each organisation's own identity on its pages: an accent colour (six lowercase hex digits,
-- without '#'), checked for contrast by the application before it is written.
ALTER TABLE organisation
    ADD COLUMN accent_color TEXT CHECK (accent_color ~ '^[0-9a-f]{6}$');

-- The public pages are rendered once per plan revision and show the organisation's name, kind
-- and colour: a change to any of them is a change to every one of its plans.
DROP TRIGGER organisation_revision ON organisation;
CREATE TRIGGER organisation_revision AFTER UPDATE OF name, short_name, kind, accent_color ON organisation
    FOR EACH ROW EXECUTE FUNCTION bump_organisation_plans();
