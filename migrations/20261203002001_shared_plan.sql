-- A SPASER shared by several buyers (loi Industrie verte, 2023), its indicators kept for each buyer.
--
-- The carrier's plan is the shared plan. Each other member organisation follows it in a plan of its
-- own (`shared_from_plan_id`), whose items each name the carrier's item they mirror (`source_…_id`):
-- values, pilots, reviews, locks, publication and contracts stay per member, exactly as a single
-- buyer's, and the structure is the carrier's (`plans::shared::sync_members`).

ALTER TABLE plan ADD COLUMN shared_from_plan_id BIGINT REFERENCES plan (id) ON DELETE RESTRICT,
    ADD CONSTRAINT plan_not_shared_from_itself CHECK (shared_from_plan_id <> id);

-- When the carrier removes an item, the member's mirror loses its source (and is removed by the next
-- sync, unless it holds values of a locked year).
ALTER TABLE axis ADD COLUMN source_axis_id BIGINT REFERENCES axis (id) ON DELETE SET NULL;
ALTER TABLE objective ADD COLUMN source_objective_id BIGINT REFERENCES objective (id) ON DELETE SET NULL;
ALTER TABLE action ADD COLUMN source_action_id BIGINT REFERENCES action (id) ON DELETE SET NULL;
ALTER TABLE indicator ADD COLUMN source_indicator_id BIGINT REFERENCES indicator (id) ON DELETE SET NULL;

-- One mirror per member plan of each carrier item.
CREATE UNIQUE INDEX axis_source ON axis (plan_id, source_axis_id);
CREATE UNIQUE INDEX objective_source ON objective (plan_id, source_objective_id);
CREATE UNIQUE INDEX action_source ON action (plan_id, source_action_id);
CREATE UNIQUE INDEX indicator_source ON indicator (plan_id, source_indicator_id);
CREATE INDEX indicator_source_of ON indicator (source_indicator_id);

-- The members of a shared plan, the carrier included (its member plan is the shared plan itself).
CREATE TABLE plan_member (
    carrier_plan_id BIGINT NOT NULL REFERENCES plan (id) ON DELETE CASCADE,
    organisation_id BIGINT NOT NULL REFERENCES organisation (id) ON DELETE CASCADE,
    member_plan_id  BIGINT NOT NULL UNIQUE,
    added_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (carrier_plan_id, organisation_id),
    FOREIGN KEY (member_plan_id, organisation_id) REFERENCES plan (id, organisation_id) ON DELETE CASCADE
);

-- A member plan follows its carrier's plan, and a carrier's plan follows nobody.
CREATE FUNCTION check_plan_member() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM plan WHERE id = NEW.carrier_plan_id AND shared_from_plan_id IS NOT NULL) THEN
        RAISE EXCEPTION 'plan % follows another plan: it cannot be shared', NEW.carrier_plan_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'plan_member_carrier';
    END IF;
    IF NEW.member_plan_id <> NEW.carrier_plan_id AND NOT EXISTS (
        SELECT 1 FROM plan WHERE id = NEW.member_plan_id AND shared_from_plan_id = NEW.carrier_plan_id
    ) THEN
        RAISE EXCEPTION 'plan % does not follow plan %', NEW.member_plan_id, NEW.carrier_plan_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'plan_member_follows';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER plan_member_check BEFORE INSERT OR UPDATE ON plan_member
    FOR EACH ROW EXECUTE FUNCTION check_plan_member();
