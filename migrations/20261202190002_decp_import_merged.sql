-- How many records of an upload were folded into a contract met before (another version of it,
-- another holder's row of the flat CSV), for its report.
ALTER TABLE decp_import ADD COLUMN merged INTEGER NOT NULL DEFAULT 0 CHECK (merged >= 0);
