-- Nothing of a locked year, and no history line, is ever lost by any path.
--
-- The lock used to be checked by looking up a yearly row's parent (its indicator or action) for
-- the plan; in a cascade the parent is already gone, so the check let the delete through and a
-- re-import with confirmed removals destroyed a locked year. Each yearly row now carries its
-- plan, and the lock is checked on the row itself: removing an axis, an objective, an action or
-- an indicator that holds anything of a locked year is refused by the database, whatever the path.
-- The history no longer hangs on what it describes: no cascade reaches it, it keeps the labels,
-- and it is append-only.

-- 1. Yearly rows carry their plan (filled from the parent, kept consistent by a foreign key).
ALTER TABLE indicator_target DISABLE TRIGGER USER;
ALTER TABLE indicator_actual DISABLE TRIGGER USER;
ALTER TABLE action_narrative DISABLE TRIGGER USER;
ALTER TABLE action_review DISABLE TRIGGER USER;

ALTER TABLE indicator_target ADD COLUMN plan_id BIGINT;
UPDATE indicator_target t SET plan_id = i.plan_id FROM indicator i WHERE i.id = t.indicator_id;
ALTER TABLE indicator_target ALTER COLUMN plan_id SET NOT NULL,
    ADD CONSTRAINT indicator_target_same_plan FOREIGN KEY (indicator_id, plan_id)
        REFERENCES indicator (id, plan_id) ON DELETE CASCADE;

ALTER TABLE indicator_actual ADD COLUMN plan_id BIGINT;
UPDATE indicator_actual v SET plan_id = i.plan_id FROM indicator i WHERE i.id = v.indicator_id;
ALTER TABLE indicator_actual ALTER COLUMN plan_id SET NOT NULL,
    ADD CONSTRAINT indicator_actual_same_plan FOREIGN KEY (indicator_id, plan_id)
        REFERENCES indicator (id, plan_id) ON DELETE CASCADE;

ALTER TABLE action_narrative ADD COLUMN plan_id BIGINT;
UPDATE action_narrative n SET plan_id = a.plan_id FROM action a WHERE a.id = n.action_id;
ALTER TABLE action_narrative ALTER COLUMN plan_id SET NOT NULL,
    ADD CONSTRAINT action_narrative_same_plan FOREIGN KEY (action_id, plan_id)
        REFERENCES action (id, plan_id) ON DELETE CASCADE;

ALTER TABLE action_review ADD COLUMN plan_id BIGINT;
UPDATE action_review r SET plan_id = a.plan_id FROM action a WHERE a.id = r.action_id;
ALTER TABLE action_review ALTER COLUMN plan_id SET NOT NULL,
    ADD CONSTRAINT action_review_same_plan FOREIGN KEY (action_id, plan_id)
        REFERENCES action (id, plan_id) ON DELETE CASCADE;

ALTER TABLE indicator_target ENABLE TRIGGER USER;
ALTER TABLE indicator_actual ENABLE TRIGGER USER;
ALTER TABLE action_narrative ENABLE TRIGGER USER;
ALTER TABLE action_review ENABLE TRIGGER USER;

CREATE INDEX indicator_target_plan ON indicator_target (plan_id, year);
CREATE INDEX indicator_actual_plan ON indicator_actual (plan_id, year);
CREATE INDEX action_narrative_plan ON action_narrative (plan_id, year);
CREATE INDEX action_review_plan ON action_review (plan_id, year);

-- Whatever the application writes, the plan is the parent's. Triggers run in the order of their
-- names: « …_a_plan » before « …_locked » and « …_year ».
CREATE FUNCTION set_row_plan() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME IN ('indicator_target', 'indicator_actual') THEN
        NEW.plan_id := (SELECT plan_id FROM indicator WHERE id = NEW.indicator_id);
    ELSE
        NEW.plan_id := (SELECT plan_id FROM action WHERE id = NEW.action_id);
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER indicator_target_a_plan BEFORE INSERT OR UPDATE ON indicator_target
    FOR EACH ROW EXECUTE FUNCTION set_row_plan();
CREATE TRIGGER indicator_actual_a_plan BEFORE INSERT OR UPDATE ON indicator_actual
    FOR EACH ROW EXECUTE FUNCTION set_row_plan();
CREATE TRIGGER action_narrative_a_plan BEFORE INSERT OR UPDATE ON action_narrative
    FOR EACH ROW EXECUTE FUNCTION set_row_plan();
CREATE TRIGGER action_review_a_plan BEFORE INSERT OR UPDATE ON action_review
    FOR EACH ROW EXECUTE FUNCTION set_row_plan();

-- 2. The lock, checked on the row's own plan and year: the year it leaves and the year it enters.
-- Targets of a locked year are locked too (the year's bilan judges against them).
CREATE OR REPLACE FUNCTION refuse_locked_year() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW IS NOT DISTINCT FROM OLD THEN
            RETURN NEW;
        END IF;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF EXISTS (SELECT 1 FROM plan_year_lock WHERE plan_id = OLD.plan_id AND year = OLD.year) THEN
            RAISE EXCEPTION 'year % of plan % is locked (%)', OLD.year, OLD.plan_id, TG_TABLE_NAME
                USING ERRCODE = 'check_violation', CONSTRAINT = 'year_locked';
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        IF EXISTS (SELECT 1 FROM plan_year_lock WHERE plan_id = NEW.plan_id AND year = NEW.year) THEN
            RAISE EXCEPTION 'year % of plan % is locked (%)', NEW.year, NEW.plan_id, TG_TABLE_NAME
                USING ERRCODE = 'check_violation', CONSTRAINT = 'year_locked';
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER indicator_target_locked BEFORE INSERT OR UPDATE OR DELETE ON indicator_target
    FOR EACH ROW EXECUTE FUNCTION refuse_locked_year();

-- A plan (or its organisation) with a locked year cannot be deleted: unlock first (recorded).
ALTER TABLE plan_year_lock DROP CONSTRAINT plan_year_lock_plan_id_fkey,
    ADD CONSTRAINT plan_year_lock_plan_id_fkey FOREIGN KEY (plan_id) REFERENCES plan (id) ON DELETE RESTRICT;

-- The plan of a yearly row is on the row: a revision is counted even in a cascade.
CREATE OR REPLACE FUNCTION bump_plan_revision() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r RECORD;
    plan_of BIGINT;
BEGIN
    IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
    -- Only the branch taken is evaluated: each reads the fields its table has.
    IF TG_TABLE_NAME = 'indicator_pilot' THEN
        SELECT plan_id INTO plan_of FROM indicator WHERE id = r.indicator_id;
    ELSIF TG_TABLE_NAME = 'action_pilot' THEN
        SELECT plan_id INTO plan_of FROM action WHERE id = r.action_id;
    ELSE
        plan_of := r.plan_id;
    END IF;
    UPDATE plan SET revision = revision + 1 WHERE id = plan_of;
    RETURN NULL;
END $$;

-- 3. The history outlives what it describes: no foreign key cascades into it, it keeps the
-- labels of the plan and items it speaks of, and nothing updates or deletes it.
ALTER TABLE change_log
    DROP CONSTRAINT change_log_plan_id_fkey,
    DROP CONSTRAINT change_log_indicator_id_fkey,
    DROP CONSTRAINT change_log_action_id_fkey,
    DROP CONSTRAINT change_log_objective_id_fkey,
    ADD COLUMN plan_title TEXT,
    ADD COLUMN objective_label TEXT,
    ADD COLUMN action_label TEXT,
    ADD COLUMN indicator_label TEXT;

CREATE FUNCTION label_change_log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.plan_title := coalesce(NEW.plan_title, (SELECT title FROM plan WHERE id = NEW.plan_id));
    IF NEW.objective_id IS NOT NULL THEN
        NEW.objective_label := coalesce(NEW.objective_label,
            (SELECT code || ' — ' || label FROM objective WHERE id = NEW.objective_id));
    END IF;
    IF NEW.action_id IS NOT NULL THEN
        NEW.action_label := coalesce(NEW.action_label,
            (SELECT coalesce('Action ' || code || ' — ', '') || label FROM action WHERE id = NEW.action_id));
    END IF;
    IF NEW.indicator_id IS NOT NULL THEN
        NEW.indicator_label := coalesce(NEW.indicator_label,
            (SELECT label FROM indicator WHERE id = NEW.indicator_id));
    END IF;
    RETURN NEW;
END $$;

UPDATE change_log c SET plan_title = p.title FROM plan p WHERE p.id = c.plan_id;
UPDATE change_log c SET objective_label = o.code || ' — ' || o.label FROM objective o WHERE o.id = c.objective_id;
UPDATE change_log c SET action_label = coalesce('Action ' || a.code || ' — ', '') || a.label
  FROM action a WHERE a.id = c.action_id;
UPDATE change_log c SET indicator_label = i.label FROM indicator i WHERE i.id = c.indicator_id;

CREATE TRIGGER change_log_labels BEFORE INSERT ON change_log
    FOR EACH ROW EXECUTE FUNCTION label_change_log();

CREATE FUNCTION refuse_history_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the history is append-only: % refused', TG_OP
        USING ERRCODE = 'check_violation', CONSTRAINT = 'history_append_only';
END $$;

CREATE TRIGGER change_log_append_only BEFORE UPDATE OR DELETE ON change_log
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER change_log_no_truncate BEFORE TRUNCATE ON change_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();
