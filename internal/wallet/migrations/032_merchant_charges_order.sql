-- A merchant's list of charges (GET /api/v1/merchant/charges) pages by
-- keyset on (created_at, id), newest first, optionally of one status: the
-- index ends with id so that the page's boundary is found, not scanned.
DROP INDEX wallet_payments_merchant;
CREATE INDEX wallet_payments_merchant ON wallet_payments (merchant_id, created_at, id);
CREATE INDEX wallet_payments_merchant_status ON wallet_payments (merchant_id, status, created_at, id);
