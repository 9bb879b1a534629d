-- The operators' incident search reads each kind of funding event of
-- every user in a time range (funding/activity.go): one index per kind's
-- conditions, ending with the time. Withdrawals and top-ups by status
-- already had other indexes, none ending with created_at.
CREATE INDEX funding_cards_status_created ON funding_cards (status, created_at);
CREATE INDEX funding_bank_links_status_created ON funding_bank_links (status, created_at);
CREATE INDEX funding_topups_kind_created ON funding_topups (source_type, status, created_at);
CREATE INDEX funding_withdrawals_status_created ON funding_withdrawals (status, created_at);
