-- What the national SPASER registry (achats-durables.gouv.fr) shows of a buyer, and what says
-- whether the SPASER is compulsory for it (D2111-3: yearly purchases above 50 M€ HT).
CREATE TABLE legal_profile (
    organisation_id  BIGINT PRIMARY KEY REFERENCES organisation (id) ON DELETE CASCADE,
    yearly_purchases NUMERIC CHECK (yearly_purchases >= 0),
    -- Where the adopted SPASER is published (the buyer's website), when not only here.
    spaser_url       TEXT CHECK (spaser_url ~ '^https?://'),
    -- Adopted jointly with other buyers (its indicators are still kept per buyer).
    shared           BOOLEAN NOT NULL DEFAULT false
);
