-- What a DECP import did, for the page its upload redirects to (post, redirect, get): the
-- counts and the first bad records as the reader listed them, never the file. Kept a week.
CREATE TABLE decp_import (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisation (id) ON DELETE CASCADE,
    created_by      BIGINT NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    saved           INTEGER NOT NULL CHECK (saved >= 0),
    other_buyer     INTEGER NOT NULL CHECK (other_buyer >= 0),
    recomputed      INTEGER NOT NULL CHECK (recomputed >= 0),
    unreadable      INTEGER NOT NULL CHECK (unreadable >= 0),
    -- The first 50 bad records (the reader keeps no more), as shown.
    errors          TEXT[] NOT NULL DEFAULT '{}' CHECK (cardinality(errors) <= 50)
);
CREATE INDEX decp_import_by_organisation ON decp_import (organisation_id, created_at);
