-- The plan's structure, edited in the browser.
--
-- Whether the plan groups its objectives under axes (GOSB's has none): the editor asks for an
-- axis only where there are axes. Existing plans say what their content says.
ALTER TABLE plan ADD COLUMN has_axes BOOLEAN NOT NULL DEFAULT true;
UPDATE plan p SET has_axes = EXISTS (SELECT 1 FROM axis x WHERE x.plan_id = p.id);

-- Where an indicator's baseline comes from (« bilan social 2023 »).
ALTER TABLE indicator ADD COLUMN baseline_source TEXT CHECK (btrim(baseline_source) <> '');

-- Two administrators editing the same item: each form carries the version it was read at, and a
-- save against another version is a conflict. Any change to an item's own fields, by any path
-- (the editor, a re-import), counts; its place among its siblings does not.
ALTER TABLE axis ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE objective ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE action ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE indicator ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE plan ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

CREATE FUNCTION bump_item_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (to_jsonb(NEW) - 'position' - 'version' - 'revision')
       IS DISTINCT FROM (to_jsonb(OLD) - 'position' - 'version' - 'revision') THEN
        NEW.version := OLD.version + 1;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER axis_version BEFORE UPDATE ON axis FOR EACH ROW EXECUTE FUNCTION bump_item_version();
CREATE TRIGGER objective_version BEFORE UPDATE ON objective FOR EACH ROW EXECUTE FUNCTION bump_item_version();
CREATE TRIGGER action_version BEFORE UPDATE ON action FOR EACH ROW EXECUTE FUNCTION bump_item_version();
CREATE TRIGGER indicator_version BEFORE UPDATE ON indicator FOR EACH ROW EXECUTE FUNCTION bump_item_version();
CREATE TRIGGER plan_version BEFORE UPDATE ON plan FOR EACH ROW EXECUTE FUNCTION bump_item_version();

-- The history of the plan's structure: who added, changed, moved or removed what, and when.
-- Like the values' history, it outlives what it describes (no foreign key to the items, their
-- labels kept) and is append-only.
CREATE TABLE structure_log (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    plan_id    BIGINT NOT NULL,
    plan_title TEXT NOT NULL,
    -- 'plan', 'axis', 'objective', 'action', 'indicator'
    item_kind  TEXT NOT NULL CHECK (item_kind IN ('plan', 'axis', 'objective', 'action', 'indicator')),
    item_id    BIGINT,
    -- The item as people name it (« Objectif 3 — Former les acheteurs »).
    item_label TEXT NOT NULL,
    -- 'created', 'changed', 'moved', 'removed', 'imported', 'copied'
    operation  TEXT NOT NULL CHECK (operation IN ('created', 'changed', 'moved', 'removed', 'imported', 'copied')),
    -- What changed, in French (« Libellé : « A » → « B » »), one line per field.
    detail     TEXT NOT NULL DEFAULT '',
    user_id    BIGINT REFERENCES app_user (id) ON DELETE SET NULL,
    user_name  TEXT NOT NULL,
    at         TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX structure_log_plan ON structure_log (plan_id, at DESC);

CREATE TRIGGER structure_log_append_only BEFORE UPDATE OR DELETE ON structure_log
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER structure_log_no_truncate BEFORE TRUNCATE ON structure_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();
