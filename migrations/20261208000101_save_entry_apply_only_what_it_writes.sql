-- A whole-page save's write (see 20261205000101_save_entry_apply.sql), the same checks and writes
-- in the same order, each statement run only when it has rows to read or write. A save usually
-- changes one value: of the three guards and the six writes, most had nothing to do and still
-- cost their start (issue 18: the function's time per call is measured in the README).
--
-- The writes were one statement: they are now one statement each. No two of them touch the same
-- row (an actual is emptied or kept, a « mis en œuvre » the same), the history reads none of them,
-- and every trigger they fire is per row, so the rows written and the history are the same (the
-- history's `at`, a clock_timestamp(), is now taken after the other writes instead of before).
-- A one-value save now runs the actuals' and the reviews' guards (not the narratives'), the
-- actual's write and the history's; before, every guard and all six writes.
CREATE OR REPLACE FUNCTION save_entry_apply(
    p_plan bigint, p_year int, p_user bigint,
    -- What the save read of the actuals it writes (a NULL version: no row).
    g_actuals bigint[], g_values numeric[], g_texts text[], g_comments text[],
    g_numerators numeric[], g_denominators numeric[], g_versions int[],
    -- Of the « mis en œuvre » it writes (a NULL version: no row).
    g_narratives bigint[], g_narrative_texts text[], g_narrative_versions int[],
    -- Of the review states of the actions it touches (a NULL state: no row).
    g_reviews bigint[], g_review_states text[],
    -- The actuals emptied, and those written.
    w_emptied bigint[], w_kept bigint[], w_values numeric[], w_texts text[], w_comments text[],
    w_numerators numeric[], w_denominators numeric[],
    -- The « mis en œuvre » emptied, and those written.
    w_narratives_emptied bigint[], w_narrated bigint[], w_narrative_texts text[],
    -- The review states moved.
    w_moved bigint[], w_states text[],
    -- The lines of history, in order.
    h_indicators bigint[], h_actions bigint[], h_fields text[], h_befores text[], h_afters text[]
) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    -- One save of a plan at a time; locking a year takes the same lock. Each statement below
    -- takes its snapshot once the lock is held.
    PERFORM 1 FROM plan WHERE id = p_plan FOR UPDATE;
    -- Every item written is this plan's (the caller took them from its tree): an item of another
    -- plan would be written without that plan's lock.
    IF EXISTS (SELECT 1 FROM unnest(w_emptied || w_kept || g_actuals) AS u(id)
                WHERE NOT EXISTS (SELECT 1 FROM indicator i WHERE i.id = u.id AND i.plan_id = p_plan))
       OR EXISTS (SELECT 1 FROM unnest(w_narratives_emptied || w_narrated || w_moved || g_narratives || g_reviews) AS u(id)
                WHERE NOT EXISTS (SELECT 1 FROM action a WHERE a.id = u.id AND a.plan_id = p_plan))
    THEN
        RAISE EXCEPTION 'save_entry_apply: an item of another plan than %', p_plan;
    END IF;
    IF EXISTS (SELECT 1 FROM plan_year_lock WHERE plan_id = p_plan AND year = p_year) THEN
        RETURN 'locked';
    END IF;
    -- From here on, a statement runs only when it has rows to read or write: a save usually
    -- changes one value, and each statement costs its start even with nothing to do.
    IF cardinality(g_actuals) > 0 THEN
        PERFORM 1 FROM indicator_actual
          WHERE plan_id = p_plan AND year = p_year AND indicator_id = ANY(g_actuals)
          ORDER BY indicator_id FOR UPDATE;
        IF EXISTS (
               SELECT 1
                 FROM unnest(g_actuals, g_values, g_texts, g_comments, g_numerators, g_denominators, g_versions)
                      AS g(id, value, text, comment, numerator, denominator, version)
                 LEFT JOIN indicator_actual a
                        ON a.indicator_id = g.id AND a.year = p_year AND a.plan_id = p_plan
                WHERE (a.value, a.text, a.comment, a.numerator, a.denominator, a.version)
                      IS DISTINCT FROM (g.value, g.text, g.comment, g.numerator, g.denominator, g.version))
        THEN
            RETURN 'changed';
        END IF;
    END IF;
    IF cardinality(g_narratives) > 0 THEN
        PERFORM 1 FROM action_narrative
          WHERE plan_id = p_plan AND year = p_year AND action_id = ANY(g_narratives)
          ORDER BY action_id FOR UPDATE;
        IF EXISTS (
               SELECT 1
                 FROM unnest(g_narratives, g_narrative_texts, g_narrative_versions) AS g(id, text, version)
                 LEFT JOIN action_narrative n
                        ON n.action_id = g.id AND n.year = p_year AND n.plan_id = p_plan
                WHERE (n.text, n.version) IS DISTINCT FROM (g.text, g.version))
        THEN
            RETURN 'changed';
        END IF;
    END IF;
    IF cardinality(g_reviews) > 0 THEN
        PERFORM 1 FROM action_review
          WHERE plan_id = p_plan AND year = p_year AND action_id = ANY(g_reviews)
          ORDER BY action_id FOR UPDATE;
        IF EXISTS (
               SELECT 1
                 FROM unnest(g_reviews, g_review_states) AS g(id, state)
                 LEFT JOIN action_review r ON r.action_id = g.id AND r.year = p_year AND r.plan_id = p_plan
                WHERE r.state IS DISTINCT FROM g.state)
        THEN
            RETURN 'changed';
        END IF;
    END IF;

    IF cardinality(w_emptied) > 0 THEN
        DELETE FROM indicator_actual
         WHERE plan_id = p_plan AND year = p_year AND indicator_id = ANY(w_emptied);
    END IF;
    IF cardinality(w_kept) > 0 THEN
        INSERT INTO indicator_actual (indicator_id, year, value, text, comment, numerator, denominator, updated_by)
        SELECT u.indicator_id, p_year, u.value, u.text, u.comment, u.numerator, u.denominator, p_user
          FROM unnest(w_kept, w_values, w_texts, w_comments, w_numerators, w_denominators)
               AS u(indicator_id, value, text, comment, numerator, denominator)
        ON CONFLICT (indicator_id, year) DO UPDATE
           SET value = EXCLUDED.value, text = EXCLUDED.text, comment = EXCLUDED.comment,
               numerator = EXCLUDED.numerator, denominator = EXCLUDED.denominator,
               updated_by = EXCLUDED.updated_by, updated_at = now(), computed = false,
               version = indicator_actual.version + 1;
    END IF;
    IF cardinality(w_narratives_emptied) > 0 THEN
        DELETE FROM action_narrative
         WHERE plan_id = p_plan AND year = p_year AND action_id = ANY(w_narratives_emptied);
    END IF;
    IF cardinality(w_narrated) > 0 THEN
        INSERT INTO action_narrative (action_id, year, text, updated_by)
        SELECT u.action_id, p_year, u.text, p_user
          FROM unnest(w_narrated, w_narrative_texts) AS u(action_id, text)
        ON CONFLICT (action_id, year) DO UPDATE
           SET text = EXCLUDED.text, updated_by = EXCLUDED.updated_by, updated_at = now(),
               version = action_narrative.version + 1;
    END IF;
    IF cardinality(w_moved) > 0 THEN
        INSERT INTO action_review (action_id, year, state, comment, updated_by)
        SELECT u.action_id, p_year, u.state, NULL, p_user
          FROM unnest(w_moved, w_states) AS u(action_id, state)
        ON CONFLICT (action_id, year) DO UPDATE
           SET state = EXCLUDED.state, comment = EXCLUDED.comment, updated_by = EXCLUDED.updated_by,
               updated_at = now();
    END IF;
    IF cardinality(h_fields) > 0 THEN
        INSERT INTO change_log (plan_id, year, indicator_id, action_id, objective_id, field, before, after, user_id)
        SELECT p_plan, p_year, u.indicator_id, u.action_id, NULL, u.field, u.before, u.after, p_user
          FROM unnest(h_indicators, h_actions, h_fields, h_befores, h_afters)
               WITH ORDINALITY AS u(indicator_id, action_id, field, before, after, ord)
         ORDER BY u.ord;
    END IF;
    RETURN 'saved';
END
$$;
