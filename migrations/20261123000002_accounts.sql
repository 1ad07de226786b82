-- Accounts, roles per organisation, sessions, sign-in attempts.

CREATE TABLE app_user (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         TEXT NOT NULL CHECK (email = lower(btrim(email)) AND email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'
                                       AND length(email) <= 254),
    display_name  TEXT NOT NULL CHECK (btrim(display_name) <> '' AND length(display_name) <= 120),
    -- NULL until the user has chosen a password through the activation link.
    password_hash TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (email)
);

-- A user's role in one organisation.
CREATE TABLE membership (
    user_id         BIGINT NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    organisation_id BIGINT NOT NULL REFERENCES organisation (id) ON DELETE CASCADE,
    role            TEXT NOT NULL CHECK (role IN ('admin', 'procurement', 'pilot', 'committee')),
    PRIMARY KEY (user_id, organisation_id)
);

-- The services a pilot steers, within the organisation of the membership.
CREATE TABLE membership_service (
    user_id         BIGINT NOT NULL,
    organisation_id BIGINT NOT NULL,
    service_id      BIGINT NOT NULL,
    PRIMARY KEY (user_id, organisation_id, service_id),
    FOREIGN KEY (user_id, organisation_id) REFERENCES membership (user_id, organisation_id) ON DELETE CASCADE,
    FOREIGN KEY (service_id, organisation_id) REFERENCES service (id, organisation_id) ON DELETE CASCADE
);

-- Server-side sessions. The cookie carries only the random id; anonymous sessions (no user)
-- exist to bind the sign-in form's CSRF token.
CREATE TABLE user_session (
    id           TEXT PRIMARY KEY,
    user_id      BIGINT REFERENCES app_user (id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX user_session_by_user ON user_session (user_id);

-- One-time links by which an invited user chooses a password.
CREATE TABLE activation (
    token      TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    expires_at TIMESTAMPTZ NOT NULL
);

-- Failed sign-ins, for the rate limit.
CREATE TABLE sign_in_failure (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email      TEXT NOT NULL,
    address    TEXT NOT NULL,
    at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX sign_in_failure_email ON sign_in_failure (email, at);
CREATE INDEX sign_in_failure_address ON sign_in_failure (address, at);
