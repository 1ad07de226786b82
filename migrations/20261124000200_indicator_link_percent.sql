-- Only an indicator in % is computed from the contracts (a share of contracts), whatever path
-- writes the link.
CREATE FUNCTION check_link_percent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM indicator WHERE id = NEW.indicator_id AND unit = '%') THEN
        RAISE EXCEPTION 'indicator % is not in %%: it cannot be computed from the contracts', NEW.indicator_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'link_percent';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER indicator_link_percent BEFORE INSERT OR UPDATE ON indicator_link
    FOR EACH ROW EXECUTE FUNCTION check_link_percent();
