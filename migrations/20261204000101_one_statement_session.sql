-- The actions awaiting a member's decision in an open year (the count beside « À faire »):
-- submitted ones for procurement staff, returned ones for the pilot of their service; none for
-- other roles, whose requests do not pay for the count.
CREATE FUNCTION member_awaiting(person BIGINT, organisation BIGINT, member_role TEXT)
RETURNS BIGINT LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF member_role = 'procurement' THEN
        RETURN (SELECT count(*) FROM action_review r JOIN plan p ON p.id = r.plan_id
                 WHERE p.organisation_id = organisation AND r.state = 'submitted'
                   AND NOT EXISTS (SELECT 1 FROM plan_year_lock l
                                    WHERE l.plan_id = r.plan_id AND l.year = r.year));
    ELSIF member_role = 'pilot' THEN
        RETURN (SELECT count(*) FROM action_review r JOIN plan p ON p.id = r.plan_id
                 WHERE p.organisation_id = organisation AND r.state = 'returned'
                   AND NOT EXISTS (SELECT 1 FROM plan_year_lock l
                                    WHERE l.plan_id = r.plan_id AND l.year = r.year)
                   AND EXISTS (
                       SELECT 1 FROM membership_service mine
                        WHERE mine.user_id = person AND mine.organisation_id = organisation
                          AND (mine.service_id IN (SELECT service_id FROM action_pilot
                                                    WHERE action_id = r.action_id)
                            OR mine.service_id IN (SELECT ip.service_id FROM indicator_pilot ip
                                                     JOIN indicator i ON i.id = ip.indicator_id
                                                    WHERE i.action_id = r.action_id))));
    END IF;
    RETURN 0;
END $$;

-- Every signed-in request reads its session, its user and the user's memberships in one
-- statement: the memberships as a function that statement and the sign-in's both call.
CREATE FUNCTION memberships_of(person BIGINT)
RETURNS TABLE (organisation_id BIGINT, role TEXT, services BIGINT[], awaiting BIGINT)
LANGUAGE sql STABLE AS $$
    SELECT m.organisation_id, m.role,
           coalesce((SELECT array_agg(ms.service_id ORDER BY ms.service_id) FROM membership_service ms
                      WHERE ms.user_id = m.user_id AND ms.organisation_id = m.organisation_id), '{}'),
           member_awaiting(m.user_id, m.organisation_id, m.role)
      FROM membership m
     WHERE m.user_id = person
$$;

-- The entry page says which values are computed from the contracts, and is kept by plan
-- revision: linking an indicator to the contracts, or unlinking it, is a change of its plan.
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
    UPDATE plan SET revision = revision + 1 WHERE id = plan_of;
    RETURN NULL;
END $$;

CREATE TRIGGER indicator_link_revision AFTER INSERT OR UPDATE OR DELETE ON indicator_link
    FOR EACH ROW EXECUTE FUNCTION bump_plan_revision();

-- A plan's head (its own fields, its organisation's, the revision its kept pages go by), by the
-- slugs of its address: read on its own, or with the session in that same statement.
CREATE FUNCTION plan_head_of(organisation_slug TEXT, plan_slug TEXT)
RETURNS TABLE (id BIGINT, slug TEXT, title TEXT, first_year INT, last_year INT, adopted_on DATE,
               objective_term TEXT, published_at TIMESTAMPTZ, revision BIGINT, org_id BIGINT,
               org_slug TEXT, org_name TEXT, short_name TEXT, kind TEXT, accent_color TEXT,
               logo_hash TEXT)
LANGUAGE sql STABLE AS $$
    SELECT p.id, p.slug, p.title, p.first_year, p.last_year, p.adopted_on, p.objective_term,
           p.published_at, p.revision, o.id, o.slug, o.name, o.short_name, o.kind, o.accent_color,
           l.hash
      FROM plan p JOIN organisation o ON o.id = p.organisation_id
      LEFT JOIN organisation_logo l ON l.organisation_id = o.id
     WHERE o.slug = organisation_slug AND p.slug = plan_slug
$$;
