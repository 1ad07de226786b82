-- Yearly entry: numerator/denominator, versions for conflict detection, who changed what,
-- statuses set by hand, the review workflow, locked years, and the history of every change.

ALTER TABLE indicator_actual
    ADD COLUMN numerator   NUMERIC CHECK (numerator >= 0),
    ADD COLUMN denominator NUMERIC CHECK (denominator > 0),
    ADD COLUMN version     INTEGER NOT NULL DEFAULT 1,
    ADD COLUMN updated_by  BIGINT REFERENCES app_user (id) ON DELETE SET NULL,
    ADD CONSTRAINT actual_ratio CHECK ((numerator IS NULL) = (denominator IS NULL)
                                       AND (numerator IS NULL OR numerator <= denominator));

ALTER TABLE action_narrative
    ADD COLUMN version    INTEGER NOT NULL DEFAULT 1,
    ADD COLUMN updated_by BIGINT REFERENCES app_user (id) ON DELETE SET NULL;

-- A status set by hand, with its justification.
CREATE TABLE status_override (
    plan_id       BIGINT NOT NULL REFERENCES plan (id) ON DELETE CASCADE,
    level         TEXT NOT NULL CHECK (level IN ('indicator', 'action', 'objective')),
    item_id       BIGINT NOT NULL,
    year          INTEGER NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('achieved', 'partial', 'not_achieved')),
    justification TEXT NOT NULL CHECK (length(btrim(justification)) >= 5),
    set_by        BIGINT NOT NULL REFERENCES app_user (id),
    set_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (level, item_id, year)
);

-- The review of an action's values for a year: saisi → soumis → validé, or renvoyé.
CREATE TABLE action_review (
    action_id  BIGINT NOT NULL REFERENCES action (id) ON DELETE CASCADE,
    year       INTEGER NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('entered', 'submitted', 'validated', 'returned')),
    comment    TEXT,
    updated_by BIGINT REFERENCES app_user (id) ON DELETE SET NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (action_id, year),
    CONSTRAINT returned_with_comment CHECK (state <> 'returned' OR btrim(coalesce(comment, '')) <> '')
);

CREATE TABLE plan_year_lock (
    plan_id   BIGINT NOT NULL REFERENCES plan (id) ON DELETE CASCADE,
    year      INTEGER NOT NULL,
    locked_by BIGINT NOT NULL REFERENCES app_user (id),
    locked_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (plan_id, year)
);

-- Every change to a value, a narrative, a status set by hand, a review state or a lock.
CREATE TABLE change_log (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    plan_id      BIGINT NOT NULL REFERENCES plan (id) ON DELETE CASCADE,
    year         INTEGER NOT NULL,
    indicator_id BIGINT REFERENCES indicator (id) ON DELETE CASCADE,
    action_id    BIGINT REFERENCES action (id) ON DELETE CASCADE,
    objective_id BIGINT REFERENCES objective (id) ON DELETE CASCADE,
    -- What changed, in French, as the history shows it: « Valeur réalisée », « Statut »…
    field        TEXT NOT NULL,
    before       TEXT,
    after        TEXT,
    user_id      BIGINT NOT NULL REFERENCES app_user (id),
    at           TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX change_log_indicator ON change_log (indicator_id, at);
CREATE INDEX change_log_action ON change_log (action_id, at);

-- Nothing of a locked year changes: values, narratives, statuses set by hand, reviews.
CREATE FUNCTION refuse_locked_year() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    row_year INTEGER;
    row_plan BIGINT;
BEGIN
    IF TG_OP = 'DELETE' THEN
        row_year := OLD.year;
    ELSE
        row_year := NEW.year;
    END IF;
    IF TG_TABLE_NAME = 'indicator_actual' THEN
        SELECT plan_id INTO row_plan FROM indicator
         WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.indicator_id ELSE NEW.indicator_id END;
    ELSIF TG_TABLE_NAME IN ('action_narrative', 'action_review') THEN
        SELECT plan_id INTO row_plan FROM action
         WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.action_id ELSE NEW.action_id END;
    ELSE
        row_plan := CASE WHEN TG_OP = 'DELETE' THEN OLD.plan_id ELSE NEW.plan_id END;
    END IF;
    IF EXISTS (SELECT 1 FROM plan_year_lock WHERE plan_id = row_plan AND year = row_year) THEN
        RAISE EXCEPTION 'year % of plan % is locked', row_year, row_plan
            USING ERRCODE = 'check_violation', CONSTRAINT = 'year_locked';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER indicator_actual_locked BEFORE INSERT OR UPDATE OR DELETE ON indicator_actual
    FOR EACH ROW EXECUTE FUNCTION refuse_locked_year();
CREATE TRIGGER action_narrative_locked BEFORE INSERT OR UPDATE OR DELETE ON action_narrative
    FOR EACH ROW EXECUTE FUNCTION refuse_locked_year();
CREATE TRIGGER action_review_locked BEFORE INSERT OR UPDATE OR DELETE ON action_review
    FOR EACH ROW EXECUTE FUNCTION refuse_locked_year();
CREATE TRIGGER status_override_locked BEFORE INSERT OR UPDATE OR DELETE ON status_override
    FOR EACH ROW EXECUTE FUNCTION refuse_locked_year();
-- The years of the new tables lie inside their plan's period too.
CREATE OR REPLACE FUNCTION check_year_in_plan() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    first_y INTEGER;
    last_y  INTEGER;
BEGIN
    IF TG_TABLE_NAME IN ('action_narrative', 'action_review') THEN
        SELECT p.first_year, p.last_year INTO first_y, last_y
          FROM action a JOIN plan p ON p.id = a.plan_id WHERE a.id = NEW.action_id;
    ELSIF TG_TABLE_NAME IN ('status_override', 'plan_year_lock') THEN
        SELECT p.first_year, p.last_year INTO first_y, last_y FROM plan p WHERE p.id = NEW.plan_id;
    ELSE
        SELECT p.first_year, p.last_year INTO first_y, last_y
          FROM indicator i JOIN plan p ON p.id = i.plan_id WHERE i.id = NEW.indicator_id;
    END IF;
    IF NEW.year < first_y OR NEW.year > last_y THEN
        RAISE EXCEPTION 'year % is outside the plan period %-%', NEW.year, first_y, last_y
            USING ERRCODE = 'check_violation', CONSTRAINT = 'year_in_plan_period';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER action_review_year BEFORE INSERT OR UPDATE ON action_review
    FOR EACH ROW EXECUTE FUNCTION check_year_in_plan();
CREATE TRIGGER status_override_year BEFORE INSERT OR UPDATE ON status_override
    FOR EACH ROW EXECUTE FUNCTION check_year_in_plan();
CREATE TRIGGER plan_year_lock_year BEFORE INSERT OR UPDATE ON plan_year_lock
    FOR EACH ROW EXECUTE FUNCTION check_year_in_plan();
