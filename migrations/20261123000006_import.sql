-- A plan read from a file, kept between its preview and its commit.
CREATE TABLE import_draft (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisation (id) ON DELETE CASCADE,
    created_by      BIGINT NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    file_name       TEXT NOT NULL,
    -- The plan to update, or NULL for a new plan.
    plan_id         BIGINT REFERENCES plan (id) ON DELETE CASCADE,
    payload         JSONB NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
