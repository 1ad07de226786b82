-- The public reads an action's values of a year once procurement staff validated them, or once
-- the year is locked: a review or a lock changes what the public pages show, so it counts as a
-- revision of the plan (the rendered public pages are kept by revision).
CREATE TRIGGER action_review_revision AFTER INSERT OR UPDATE OR DELETE ON action_review
    FOR EACH ROW EXECUTE FUNCTION bump_plan_revision();
CREATE TRIGGER plan_year_lock_revision AFTER INSERT OR UPDATE OR DELETE ON plan_year_lock
    FOR EACH ROW EXECUTE FUNCTION bump_plan_revision();
