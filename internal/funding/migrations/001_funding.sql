-- Cards: never a card number; the acquirer's token (sealed), brand, last 4
-- and the acquirer's fingerprint (a keyed hash, to count one card's users).
CREATE TABLE funding_cards (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL,
    token_sealed    TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,
    brand           TEXT NOT NULL,
    last4           TEXT NOT NULL,
    exp_month       BIGINT NOT NULL,
    exp_year        BIGINT NOT NULL,
    status          TEXT NOT NULL,
    auth_id         TEXT NOT NULL DEFAULT '',
    challenge_url   TEXT NOT NULL DEFAULT '',
    decline_code    TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX funding_cards_user ON funding_cards (user_id, created_at);
CREATE INDEX funding_cards_fingerprint ON funding_cards (fingerprint);
CREATE INDEX funding_cards_auth ON funding_cards (auth_id);

-- Bank links: state (hashed) and PKCE verifier (sealed) while pending;
-- tokens sealed once active.
CREATE TABLE funding_bank_links (
    id                       TEXT PRIMARY KEY,
    user_id                  TEXT NOT NULL,
    bank_code                TEXT NOT NULL,
    status                   TEXT NOT NULL,
    state_hash               TEXT NOT NULL UNIQUE,
    verifier_sealed          TEXT NOT NULL,
    expires_at               BIGINT NOT NULL,
    account_id               TEXT NOT NULL DEFAULT '',
    account_last4            TEXT NOT NULL DEFAULT '',
    holder_phone             TEXT NOT NULL DEFAULT '',
    access_sealed            TEXT NOT NULL DEFAULT '',
    refresh_sealed           TEXT NOT NULL DEFAULT '',
    token_expires_at         BIGINT NOT NULL DEFAULT 0,
    reject_reason            TEXT NOT NULL DEFAULT '',
    usable_for_withdrawal_at BIGINT NOT NULL DEFAULT 0,
    created_at               BIGINT NOT NULL,
    updated_at               BIGINT NOT NULL
);
CREATE INDEX funding_bank_links_user ON funding_bank_links (user_id, created_at);
CREATE INDEX funding_bank_links_account ON funding_bank_links (bank_code, account_id);

-- Top-ups from a card (money lite) or a bank (money).
CREATE TABLE funding_topups (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL,
    source_type    TEXT NOT NULL,
    source_id      TEXT NOT NULL,
    amount         BIGINT NOT NULL,
    status         TEXT NOT NULL,
    auth_id        TEXT NOT NULL DEFAULT '',
    challenge_url  TEXT NOT NULL DEFAULT '',
    decline_code   TEXT NOT NULL DEFAULT '',
    transfer_id    BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX funding_topups_user ON funding_topups (user_id, created_at);
CREATE INDEX funding_topups_source ON funding_topups (source_id, status);
CREATE INDEX funding_topups_auth ON funding_topups (auth_id);
CREATE INDEX funding_topups_status ON funding_topups (status, updated_at);

-- Withdrawals: a ledger hold reserves the money until the bank is paid.
CREATE TABLE funding_withdrawals (
    id               TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL,
    bank_link_id     TEXT NOT NULL,
    amount           BIGINT NOT NULL,
    status           TEXT NOT NULL,
    hold_reason      TEXT NOT NULL DEFAULT '',
    release_at       BIGINT NOT NULL DEFAULT 0,
    hold_transfer_id BIGINT NOT NULL DEFAULT 0,
    decline_code     TEXT NOT NULL DEFAULT '',
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX funding_withdrawals_user ON funding_withdrawals (user_id, created_at);
CREATE INDEX funding_withdrawals_due ON funding_withdrawals (status, release_at);
