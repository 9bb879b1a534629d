-- The second-factor trust of the session that issued a payment code
-- (identity.Session.FactorTrustedAt, unix ms, 0: none): a merchant's charge
-- of the code is judged by what the payer proved when the code was made
-- (the cooling-off payment cap).
ALTER TABLE wallet_payment_codes ADD COLUMN factor_trusted_at BIGINT NOT NULL DEFAULT 0;
