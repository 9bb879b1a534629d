-- Whether the session that issued a payment code was on a device the user
-- had used before: the risk decision of the charge reads it (the payer is
-- not present at the merchant's till).
ALTER TABLE wallet_payment_codes ADD COLUMN device_recognised BIGINT NOT NULL DEFAULT 0;
