-- The buyer's contracts from its DECP data, and the legal indicators computed from them.

CREATE TABLE organisation_siret (
    organisation_id BIGINT NOT NULL REFERENCES organisation (id) ON DELETE CASCADE,
    siret           TEXT NOT NULL CHECK (siret ~ '^[0-9]{14}$'),
    PRIMARY KEY (organisation_id, siret)
);

CREATE TABLE contract (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id  BIGINT NOT NULL REFERENCES organisation (id) ON DELETE CASCADE,
    decp_id          TEXT NOT NULL,
    buyer_siret      TEXT NOT NULL,
    concession       BOOLEAN NOT NULL DEFAULT false,
    object           TEXT NOT NULL DEFAULT '',
    amount           NUMERIC NOT NULL CHECK (amount >= 0),
    notified_on      DATE NOT NULL,
    procedure        TEXT NOT NULL DEFAULT '',
    nature           TEXT NOT NULL DEFAULT '',
    cpv              TEXT,
    holders          TEXT NOT NULL DEFAULT '',
    social_clause    BOOLEAN NOT NULL,
    social_criterion BOOLEAN NOT NULL,
    reserved         BOOLEAN NOT NULL,
    env_clause       BOOLEAN NOT NULL,
    env_criterion    BOOLEAN NOT NULL,
    modifications    INTEGER NOT NULL DEFAULT 0,
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (organisation_id, buyer_siret, decp_id)
);
-- The legal indicators read only these columns: an index-only scan answers them.
CREATE INDEX contract_by_year ON contract (organisation_id, notified_on)
    INCLUDE (amount, procedure, social_clause, social_criterion, reserved, env_clause, env_criterion);

-- A plan indicator whose actual comes from the contracts.
CREATE TABLE indicator_link (
    indicator_id BIGINT PRIMARY KEY REFERENCES indicator (id) ON DELETE CASCADE,
    measure      TEXT NOT NULL CHECK (measure IN ('social_any', 'social_clause', 'social_criterion', 'reserved',
                                                  'env_any', 'env_clause', 'env_criterion')),
    by_amount    BOOLEAN NOT NULL DEFAULT false,
    min_amount   NUMERIC NOT NULL DEFAULT 0 CHECK (min_amount >= 0)
);

-- Whether an actual was computed from the contracts rather than typed.
ALTER TABLE indicator_actual ADD COLUMN computed BOOLEAN NOT NULL DEFAULT false;

-- The procedures met in the organisation's contracts, for the filters (kept at import).
CREATE TABLE contract_procedure (
    organisation_id BIGINT NOT NULL REFERENCES organisation (id) ON DELETE CASCADE,
    procedure       TEXT NOT NULL,
    PRIMARY KEY (organisation_id, procedure)
);
