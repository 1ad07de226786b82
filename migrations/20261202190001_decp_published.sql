-- DECP as published: the date of a contract's latest modification (with the count of its
-- modifications it orders two versions of one contract, so that a later import of an older
-- version never replaces a newer one), and the SPASER's own target per legal category.
ALTER TABLE contract ADD COLUMN revised_on DATE;

CREATE TABLE legal_target (
    organisation_id BIGINT NOT NULL REFERENCES organisation (id) ON DELETE CASCADE,
    measure         TEXT NOT NULL CHECK (measure IN ('social_any', 'social_clause', 'social_criterion', 'reserved',
                                                     'env_any', 'env_clause', 'env_criterion')),
    percent         NUMERIC NOT NULL CHECK (percent >= 0 AND percent <= 100),
    PRIMARY KEY (organisation_id, measure)
);
