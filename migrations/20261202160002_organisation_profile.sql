-- An organisation's identity as the law and the national register know it: its SIREN, and its
-- estimated yearly purchases in € HT (a SPASER is compulsory from 50 M€, article D2111-3).
ALTER TABLE organisation
    ADD COLUMN siren TEXT CHECK (siren ~ '^[0-9]{9}$'),
    ADD COLUMN yearly_purchases NUMERIC CHECK (yearly_purchases >= 0);
