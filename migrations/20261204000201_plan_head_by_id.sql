-- A plan's head by its id: what a render reads again once it holds its turn, so that everything it
-- shows (the plan's title, its organisation's name, its period) was read after it began.
CREATE FUNCTION plan_head_by_id(plan BIGINT)
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
     WHERE p.id = plan
$$;
