-- A plan's revision counts the changes to anything its pages show, so that a rendered page
-- can be reused until the next change, whichever application server made it.
ALTER TABLE plan ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION bump_plan_revision() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r RECORD;
    plan_of BIGINT;
BEGIN
    IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
    -- Only the branch taken is evaluated: each reads the fields its table has.
    IF TG_TABLE_NAME IN ('indicator_target', 'indicator_actual', 'indicator_pilot') THEN
        SELECT plan_id INTO plan_of FROM indicator WHERE id = r.indicator_id;
    ELSIF TG_TABLE_NAME IN ('action_narrative', 'action_pilot') THEN
        SELECT plan_id INTO plan_of FROM action WHERE id = r.action_id;
    ELSE
        plan_of := r.plan_id;
    END IF;
    UPDATE plan SET revision = revision + 1 WHERE id = plan_of;
    RETURN NULL;
END $$;

CREATE TRIGGER axis_revision AFTER INSERT OR UPDATE OR DELETE ON axis
    FOR EACH ROW EXECUTE FUNCTION bump_plan_revision();
CREATE TRIGGER objective_revision AFTER INSERT OR UPDATE OR DELETE ON objective
    FOR EACH ROW EXECUTE FUNCTION bump_plan_revision();
CREATE TRIGGER action_revision AFTER INSERT OR UPDATE OR DELETE ON action
    FOR EACH ROW EXECUTE FUNCTION bump_plan_revision();
CREATE TRIGGER indicator_revision AFTER INSERT OR UPDATE OR DELETE ON indicator
    FOR EACH ROW EXECUTE FUNCTION bump_plan_revision();
CREATE TRIGGER indicator_target_revision AFTER INSERT OR UPDATE OR DELETE ON indicator_target
    FOR EACH ROW EXECUTE FUNCTION bump_plan_revision();
CREATE TRIGGER indicator_actual_revision AFTER INSERT OR UPDATE OR DELETE ON indicator_actual
    FOR EACH ROW EXECUTE FUNCTION bump_plan_revision();
CREATE TRIGGER indicator_pilot_revision AFTER INSERT OR UPDATE OR DELETE ON indicator_pilot
    FOR EACH ROW EXECUTE FUNCTION bump_plan_revision();
CREATE TRIGGER action_narrative_revision AFTER INSERT OR UPDATE OR DELETE ON action_narrative
    FOR EACH ROW EXECUTE FUNCTION bump_plan_revision();
CREATE TRIGGER action_pilot_revision AFTER INSERT OR UPDATE OR DELETE ON action_pilot
    FOR EACH ROW EXECUTE FUNCTION bump_plan_revision();
CREATE TRIGGER status_override_revision AFTER INSERT OR UPDATE OR DELETE ON status_override
    FOR EACH ROW EXECUTE FUNCTION bump_plan_revision();

-- The plan's own fields and the organisation's name show on its pages too.
CREATE FUNCTION bump_own_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.title, NEW.first_year, NEW.last_year, NEW.adopted_on, NEW.objective_term, NEW.published_at)
       IS DISTINCT FROM (OLD.title, OLD.first_year, OLD.last_year, OLD.adopted_on, OLD.objective_term, OLD.published_at) THEN
        NEW.revision := OLD.revision + 1;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER plan_own_revision BEFORE UPDATE ON plan
    FOR EACH ROW EXECUTE FUNCTION bump_own_revision();

CREATE FUNCTION bump_organisation_plans() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE plan SET revision = revision + 1 WHERE organisation_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER organisation_revision AFTER UPDATE OF name, short_name ON organisation
    FOR EACH ROW EXECUTE FUNCTION bump_organisation_plans();
CREATE FUNCTION bump_service_plans() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE plan SET revision = revision + 1 WHERE organisation_id = NEW.organisation_id;
    RETURN NULL;
END $$;
CREATE TRIGGER service_revision AFTER UPDATE OF name ON service
    FOR EACH ROW EXECUTE FUNCTION bump_service_plans();
