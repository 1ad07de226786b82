-- The SPASER model: organisation → plan → (axis) → objective → action → indicator → yearly values.
-- Constraints here make bad states impossible whatever the application does.

CREATE TABLE organisation (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name        TEXT NOT NULL CHECK (btrim(name) <> ''),
    short_name  TEXT NOT NULL CHECK (btrim(short_name) <> ''),
    -- e.g. « Office public de l'habitat », « Établissement public territorial »
    kind        TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The buyer's services that steer actions and indicators (DSI, DRH, Service Commande Publique…).
CREATE TABLE service (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisation (id) ON DELETE CASCADE,
    name            TEXT NOT NULL CHECK (btrim(name) <> ''),
    UNIQUE (id, organisation_id)
);
CREATE UNIQUE INDEX service_name_unique ON service (organisation_id, lower(name));

CREATE TABLE plan (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisation (id) ON DELETE CASCADE,
    slug            TEXT NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    title           TEXT NOT NULL CHECK (btrim(title) <> ''),
    first_year      INTEGER NOT NULL CHECK (first_year BETWEEN 2000 AND 2100),
    last_year       INTEGER NOT NULL,
    adopted_on      DATE,
    -- What the plan calls its second level: « objectif » (most plans) or « fiche action » (GOSB).
    objective_term  TEXT NOT NULL DEFAULT 'objectif' CHECK (objective_term IN ('objectif', 'fiche_action')),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (organisation_id, slug),
    UNIQUE (id, organisation_id),
    CONSTRAINT plan_period CHECK (last_year >= first_year AND last_year - first_year <= 15)
);

CREATE TABLE axis (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    plan_id   BIGINT NOT NULL REFERENCES plan (id) ON DELETE CASCADE,
    number    INTEGER NOT NULL CHECK (number > 0),
    label     TEXT NOT NULL CHECK (btrim(label) <> ''),
    UNIQUE (plan_id, number),
    UNIQUE (id, plan_id)
);

-- An objective, or a « fiche action » in plans without axes. `code` is the number as the
-- document writes it (« 3 », « FA1 »); `position` orders objectives within the plan.
CREATE TABLE objective (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    plan_id   BIGINT NOT NULL REFERENCES plan (id) ON DELETE CASCADE,
    axis_id   BIGINT,
    code      TEXT NOT NULL CHECK (btrim(code) <> ''),
    label     TEXT NOT NULL CHECK (btrim(label) <> ''),
    position  INTEGER NOT NULL,
    UNIQUE (plan_id, code),
    UNIQUE (plan_id, position),
    UNIQUE (id, plan_id),
    -- The axis, when there is one, belongs to the same plan.
    FOREIGN KEY (axis_id, plan_id) REFERENCES axis (id, plan_id) ON DELETE CASCADE
);

-- `code` is the document's action number (« 7 »); GOSB's actions have none.
CREATE TABLE action (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    plan_id       BIGINT NOT NULL,
    objective_id  BIGINT NOT NULL,
    code          TEXT CHECK (btrim(code) <> ''),
    label         TEXT NOT NULL CHECK (btrim(label) <> ''),
    position      INTEGER NOT NULL,
    UNIQUE (plan_id, code),
    UNIQUE (objective_id, position),
    UNIQUE (id, plan_id),
    FOREIGN KEY (objective_id, plan_id) REFERENCES objective (id, plan_id) ON DELETE CASCADE
);

CREATE TABLE indicator (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    plan_id            BIGINT NOT NULL,
    action_id          BIGINT NOT NULL,
    position           INTEGER NOT NULL,
    label              TEXT NOT NULL CHECK (btrim(label) <> ''),
    -- NULL where the document leaves the type empty.
    kind               TEXT CHECK (kind IN ('quantitative', 'qualitative', 'both')),
    -- Display unit of the numbers: '%', 'h', '€', 'k€', 'M€', or a plural noun ('formations').
    unit               TEXT CHECK (btrim(unit) <> ''),
    direction          TEXT NOT NULL DEFAULT 'up' CHECK (direction IN ('up', 'down')),
    baseline_value     NUMERIC,
    baseline_year      INTEGER CHECK (baseline_year BETWEEN 1990 AND 2100),
    partial_threshold  NUMERIC NOT NULL DEFAULT 0.8 CHECK (partial_threshold > 0 AND partial_threshold <= 1),
    -- The targets as the document wrote them, before they were read year by year.
    targets_source     TEXT,
    UNIQUE (action_id, position),
    UNIQUE (id, plan_id),
    FOREIGN KEY (action_id, plan_id) REFERENCES action (id, plan_id) ON DELETE CASCADE,
    CONSTRAINT indicator_baseline CHECK ((baseline_value IS NULL) = (baseline_year IS NULL))
);

CREATE TABLE action_pilot (
    action_id  BIGINT NOT NULL REFERENCES action (id) ON DELETE CASCADE,
    service_id BIGINT NOT NULL REFERENCES service (id) ON DELETE CASCADE,
    PRIMARY KEY (action_id, service_id)
);

CREATE TABLE indicator_pilot (
    indicator_id BIGINT NOT NULL REFERENCES indicator (id) ON DELETE CASCADE,
    service_id   BIGINT NOT NULL REFERENCES service (id) ON DELETE CASCADE,
    PRIMARY KEY (indicator_id, service_id)
);

CREATE TABLE indicator_target (
    indicator_id BIGINT NOT NULL REFERENCES indicator (id) ON DELETE CASCADE,
    year         INTEGER NOT NULL,
    value        NUMERIC,
    text         TEXT CHECK (btrim(text) <> ''),
    PRIMARY KEY (indicator_id, year),
    CONSTRAINT target_not_empty CHECK (value IS NOT NULL OR text IS NOT NULL)
);

CREATE TABLE indicator_actual (
    indicator_id BIGINT NOT NULL REFERENCES indicator (id) ON DELETE CASCADE,
    year         INTEGER NOT NULL,
    value        NUMERIC,
    text         TEXT CHECK (btrim(text) <> ''),
    comment      TEXT CHECK (btrim(comment) <> ''),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (indicator_id, year),
    CONSTRAINT actual_not_empty CHECK (value IS NOT NULL OR text IS NOT NULL)
);

-- What was done for an action in a year (« Mis en œuvre 2024 »).
CREATE TABLE action_narrative (
    action_id  BIGINT NOT NULL REFERENCES action (id) ON DELETE CASCADE,
    year       INTEGER NOT NULL,
    text       TEXT NOT NULL CHECK (btrim(text) <> ''),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (action_id, year)
);

-- Pilots are services of the plan's own organisation.
CREATE FUNCTION check_pilot_organisation() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ok BOOLEAN;
BEGIN
    IF TG_TABLE_NAME = 'action_pilot' THEN
        SELECT p.organisation_id = s.organisation_id INTO ok
          FROM action a JOIN plan p ON p.id = a.plan_id, service s
         WHERE a.id = NEW.action_id AND s.id = NEW.service_id;
    ELSE
        SELECT p.organisation_id = s.organisation_id INTO ok
          FROM indicator i JOIN plan p ON p.id = i.plan_id, service s
         WHERE i.id = NEW.indicator_id AND s.id = NEW.service_id;
    END IF;
    IF NOT coalesce(ok, false) THEN
        RAISE EXCEPTION 'pilot service % belongs to another organisation', NEW.service_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'pilot_same_organisation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER action_pilot_organisation BEFORE INSERT OR UPDATE ON action_pilot
    FOR EACH ROW EXECUTE FUNCTION check_pilot_organisation();
CREATE TRIGGER indicator_pilot_organisation BEFORE INSERT OR UPDATE ON indicator_pilot
    FOR EACH ROW EXECUTE FUNCTION check_pilot_organisation();

-- Yearly rows lie inside their plan's period.
CREATE FUNCTION check_year_in_plan() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    first_y INTEGER;
    last_y  INTEGER;
BEGIN
    IF TG_TABLE_NAME = 'action_narrative' THEN
        SELECT p.first_year, p.last_year INTO first_y, last_y
          FROM action a JOIN plan p ON p.id = a.plan_id WHERE a.id = NEW.action_id;
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

CREATE TRIGGER indicator_target_year BEFORE INSERT OR UPDATE ON indicator_target
    FOR EACH ROW EXECUTE FUNCTION check_year_in_plan();
CREATE TRIGGER indicator_actual_year BEFORE INSERT OR UPDATE ON indicator_actual
    FOR EACH ROW EXECUTE FUNCTION check_year_in_plan();
CREATE TRIGGER action_narrative_year BEFORE INSERT OR UPDATE ON action_narrative
    FOR EACH ROW EXECUTE FUNCTION check_year_in_plan();

-- A plan's period may not shrink away from years that already hold values.
CREATE FUNCTION check_plan_period_covers_values() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM indicator i
          JOIN (SELECT indicator_id, year FROM indicator_target
                UNION ALL SELECT indicator_id, year FROM indicator_actual) v ON v.indicator_id = i.id
         WHERE i.plan_id = NEW.id AND (v.year < NEW.first_year OR v.year > NEW.last_year)
        UNION ALL
        SELECT 1 FROM action a JOIN action_narrative n ON n.action_id = a.id
         WHERE a.plan_id = NEW.id AND (n.year < NEW.first_year OR n.year > NEW.last_year)
    ) THEN
        RAISE EXCEPTION 'plan % has values outside %-%', NEW.id, NEW.first_year, NEW.last_year
            USING ERRCODE = 'check_violation', CONSTRAINT = 'year_in_plan_period';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER plan_period_covers_values BEFORE UPDATE OF first_year, last_year ON plan
    FOR EACH ROW EXECUTE FUNCTION check_plan_period_covers_values();
