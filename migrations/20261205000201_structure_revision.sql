-- A plan's structure revision counts the changes to its structure only (axes, objectives,
-- actions, indicators, their pilots and the services' names), where its revision counts every
-- change, values included. A save checks its rights against the structure: it can keep the
-- structure it read until the next change of it, whichever application server made it, instead
-- of reading it again at every save.
ALTER TABLE plan ADD COLUMN structure_revision BIGINT NOT NULL DEFAULT 0;

-- Neither counter is a change of the plan's own fields (its version, for the editor's conflicts).
CREATE OR REPLACE FUNCTION bump_item_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (to_jsonb(NEW) - 'position' - 'version' - 'revision' - 'structure_revision')
       IS DISTINCT FROM (to_jsonb(OLD) - 'position' - 'version' - 'revision' - 'structure_revision') THEN
        NEW.version := OLD.version + 1;
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION bump_plan_revision() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r RECORD;
    plan_of BIGINT;
BEGIN
    IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
    -- Only the branch taken is evaluated: each reads the fields its table has.
    IF TG_TABLE_NAME IN ('indicator_pilot', 'indicator_link') THEN
        SELECT plan_id INTO plan_of FROM indicator WHERE id = r.indicator_id;
    ELSIF TG_TABLE_NAME = 'action_pilot' THEN
        SELECT plan_id INTO plan_of FROM action WHERE id = r.action_id;
    ELSE
        plan_of := r.plan_id;
    END IF;
    IF TG_TABLE_NAME IN ('axis', 'objective', 'action', 'indicator', 'indicator_pilot', 'action_pilot') THEN
        UPDATE plan SET revision = revision + 1, structure_revision = structure_revision + 1
         WHERE id = plan_of;
    ELSE
        UPDATE plan SET revision = revision + 1 WHERE id = plan_of;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION bump_service_plans() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE plan SET revision = revision + 1, structure_revision = structure_revision + 1
     WHERE organisation_id = NEW.organisation_id;
    RETURN NULL;
END $$;
