-- Reconcile looks for refunds left pending by a crash.
CREATE INDEX wallet_refunds_pending ON wallet_refunds (status, created_at);
