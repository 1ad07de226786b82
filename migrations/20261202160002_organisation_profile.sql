-- An organisation's identity as the law and the national register know it: its SIREN (its
-- estimated yearly purchases are kept in legal_profile).
ALTER TABLE organisation
    ADD COLUMN siren TEXT CHECK (siren ~ '^[0-9]{9}$');
