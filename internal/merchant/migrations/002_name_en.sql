-- name_en is the merchant's name in printable ASCII for the EMV QR code's
-- merchant name (tag 59), which wallets that ignore the Japanese field
-- (tag 64) show: given at creation, or romanised from a kana name. Empty
-- for merchants created before it; their QR code romanises at render time.
ALTER TABLE merchants ADD COLUMN name_en TEXT NOT NULL DEFAULT '';
