-- Issue 18: an indicator's targets change with the plan's structure (in the structure editor, by
-- an import, from the shared plan they come from), rarely with the year's values. They are kept
-- with the structure (`plans/kept.rs`), so a change of them bumps the structure revision as well:
-- a render after a value changed no longer reads them again (900 of a 150-indicator plan's 2 400
-- value rows).
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
    IF TG_TABLE_NAME IN ('axis', 'objective', 'action', 'indicator', 'indicator_pilot', 'action_pilot',
                         'indicator_target') THEN
        UPDATE plan SET revision = revision + 1, structure_revision = structure_revision + 1
         WHERE id = plan_of;
    ELSE
        UPDATE plan SET revision = revision + 1 WHERE id = plan_of;
    END IF;
    RETURN NULL;
END $$;

-- Structures kept before this migration were kept without their targets: none is used again.
UPDATE plan SET structure_revision = structure_revision + 1;
