-- Where the bank's consent screen and the issuer's 3-D Secure challenge
-- send the person's browser back: 0 the JSON API's return paths, 1 the
-- web wallet's pages (Client.Web). Kept with the link and the top-up, so
-- that the code exchange and a repeated authorisation name the same URL.
ALTER TABLE funding_bank_links ADD COLUMN web BIGINT NOT NULL DEFAULT 0;
ALTER TABLE funding_topups ADD COLUMN web BIGINT NOT NULL DEFAULT 0;
