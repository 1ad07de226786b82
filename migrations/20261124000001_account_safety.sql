-- Accounts that an invitation cannot take over, sign-in throttling reserved before the password is
-- checked, and a key for the CSRF tokens of visitors without a session.

-- The organisation whose invitation created the account. Only that organisation sees the account
-- as « en attente d'activation »; another organisation that adds the same person learns nothing of
-- the account's state.
ALTER TABLE app_user
    ADD COLUMN invited_by_organisation BIGINT REFERENCES organisation (id) ON DELETE SET NULL;
UPDATE app_user u
   SET invited_by_organisation = (SELECT min(m.organisation_id) FROM membership m WHERE m.user_id = u.id)
 WHERE u.password_hash IS NULL;

-- Sign-in attempts, counted per key (« adresse:… » and « e-mail+adresse:… ») in a window. An attempt
-- takes its place here before its password is checked, in one statement that locks the key's row,
-- so that parallel attempts cannot pass the limit.
CREATE TABLE sign_in_throttle (
    key          TEXT PRIMARY KEY,
    window_start TIMESTAMPTZ NOT NULL DEFAULT now(),
    attempts     INTEGER NOT NULL CHECK (attempts >= 0)
);
CREATE INDEX sign_in_throttle_window ON sign_in_throttle (window_start);
DROP TABLE sign_in_failure;

-- The key that signs the CSRF tokens of visitors who have no session yet (the sign-in and
-- activation forms), so that no session row is stored for them. One row, shared by every
-- application server.
CREATE TABLE instance_secret (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    key BYTEA NOT NULL CHECK (length(key) = 32)
);

CREATE INDEX user_session_last_seen ON user_session (last_seen_at);
CREATE INDEX activation_expires ON activation (expires_at);
