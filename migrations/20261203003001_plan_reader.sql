-- The carrier of a shared plan opens its consolidated bilan to a person of a member organisation,
-- for that plan only (the carrier's committee role, granted for the shared plan): the person
-- reads the consolidated bilan, nothing else of the carrier.
CREATE TABLE plan_reader (
    plan_id    BIGINT NOT NULL REFERENCES plan (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    granted_by BIGINT REFERENCES app_user (id) ON DELETE SET NULL,
    granted_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (plan_id, user_id)
);
