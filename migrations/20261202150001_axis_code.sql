-- The buyer's own label of an axis when it is not its rank (« A », « II »): `number` stays the
-- axis's rank, by which a re-import meets it.
ALTER TABLE axis ADD COLUMN code TEXT CHECK (btrim(code) <> '');
