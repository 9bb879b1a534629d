#!/usr/bin/env bash
# The README's demo walkthrough, runnable: sign up, verify, KYC, link a
# sandbox bank through its consent screens, top up from it, get a payment
# code, charge it as the merchant, withdraw (held: the link is new), and
# look at the wallet. Needs curl and a server started with
#   go run ./cmd/saifu serve --demo
# SAIFU_URL defaults to http://127.0.0.1:8080; SAIFU_MERCHANT_KEY is the
# demo merchant's secret key that serve printed at its first start.
set -euo pipefail
B=${SAIFU_URL:-http://127.0.0.1:8080}
SK=${SAIFU_MERCHANT_KEY:?set SAIFU_MERCHANT_KEY to the demo merchant secret key printed by serve --demo}
EMAIL=${DEMO_EMAIL:-hanako.$RANDOM$RANDOM@example.com}
PASS='correct horse battery staple'
json() { curl -sS -H 'Content-Type: application/json' "$@"; }
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
# code TO: the newest 6-digit code sent to TO (mail leaves through an
# outbox, so wait for it a little).
code() {
  for _ in $(seq 1 50); do
    c=$(curl -sS "$B/sandbox/api/messages?to=$1" | grep -o '[^0-9][0-9]\{6\}[^0-9]' | tail -1 | tr -dc 0-9)
    if [ -n "$c" ]; then echo "$c"; return; fi
    sleep 0.2
  done
  echo "no code arrived for $1" >&2; return 1
}

echo "== 1. sign up, read the code from the sandbox mailbox, verify"
json -X POST "$B/api/v1/signup" -d "{\"email\":\"$EMAIL\",\"password\":\"$PASS\"}"; echo
CODE=$(code "$EMAIL")
TOKEN=$(json -X POST "$B/api/v1/signup/verify" -d "{\"email\":\"$EMAIL\",\"code\":\"$CODE\"}" | field session_token)
AUTH="Authorization: Bearer $TOKEN"

echo "== 2. identity verification (eKYC sandbox), then re-authenticate"
json -X POST "$B/api/v1/kyc" -H "$AUTH" -d '{"full_name":"SUZUKI HANAKO","birth_date":"1990-04-01","document_token":"sandbox-approve"}'; echo
json -X POST "$B/api/v1/reauth" -H "$AUTH" -d "{\"password\":\"$PASS\"}"; echo

echo "== 3. link Saifu Sandbox Bank (0001) through its own login, SMS code and consent"
LINK_JSON=$(json -X POST "$B/api/v1/bank-links" -H "$AUTH" -H "Idempotency-Key: link-$EMAIL" -d '{"bank_code":"0001"}')
LINK=$(echo "$LINK_JSON" | field bank_link_id)
AUTHORIZE=$(echo "$LINK_JSON" | field authorize_url | sed 's/\\u0026/\&/g')
flow() { grep -o 'name="flow" value="[^"]*"' | sed 's/.*value="//;s/"$//'; }
FLOW=$(curl -sS "$AUTHORIZE" | flow)
FLOW=$(curl -sS -X POST "$B/sandbox/bank/0001/login" -d flow="$FLOW" -d login_id=suzuki -d password=suzuki-pass-0001 | flow)
OTP=$(code %2B819000000002)
FLOW=$(curl -sS -X POST "$B/sandbox/bank/0001/otp" -d flow="$FLOW" -d otp="$OTP" | flow)
CALLBACK=$(curl -sS -o /dev/null -w '%{redirect_url}' -X POST "$B/sandbox/bank/0001/consent" -d flow="$FLOW" -d decision=approve)
curl -sS "$CALLBACK"; echo

echo "== 4. top up 5,000 JPY from the bank (money balance)"
json -X POST "$B/api/v1/topups" -H "$AUTH" -H "Idempotency-Key: topup-$EMAIL" \
  -d "{\"source\":{\"type\":\"bank\",\"bank_link_id\":\"$LINK\"},\"amount\":5000}"; echo

echo "== 5. a one-time payment code, charged by the merchant"
PAYCODE=$(json -X POST "$B/api/v1/payment-codes" -H "$AUTH" -H "Idempotency-Key: code-$EMAIL" | field code)
json -X POST "$B/api/v1/merchant/charges" -H "Authorization: Bearer $SK" -H "Idempotency-Key: order-$EMAIL" \
  -d "{\"payment_code\":\"$PAYCODE\",\"amount\":1200,\"order_id\":\"1001\"}"; echo

echo "== 6. withdraw 1,000 JPY: held, because the bank link is new"
json -X POST "$B/api/v1/withdrawals" -H "$AUTH" -H "Idempotency-Key: wd-$EMAIL" \
  -d "{\"bank_link_id\":\"$LINK\",\"amount\":1000}"; echo

echo "== 7. the wallet, its history and the notices"
curl -sS -H "$AUTH" "$B/api/v1/wallet"; echo
curl -sS -H "$AUTH" "$B/api/v1/wallet/transactions"; echo
curl -sS -H "$AUTH" "$B/api/v1/notifications" | head -c 400; echo
