-- A published plan (and its bilans) is readable by anyone, at a stable address.
ALTER TABLE plan ADD COLUMN published_at TIMESTAMPTZ;
