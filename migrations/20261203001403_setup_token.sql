-- The one-time address through which the first person sets up a fresh instance started without
-- the demo (no organisation, no account). Only a hash of its token is kept; at most one row: a
-- server starting on an instance still empty makes a new token, which replaces the former.
CREATE TABLE setup_token (
    only_one   BOOLEAN PRIMARY KEY DEFAULT true CHECK (only_one),
    token_hash TEXT NOT NULL CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    expires_at TIMESTAMPTZ NOT NULL
);
