#!/usr/bin/env bash
# The README's demo walkthrough, runnable: sign up, verify, KYC, link a
# sandbox bank through its consent screens, top up from it, get a payment
# code, charge it as the merchant, withdraw (held: the link is new), and
# look at the wallet. Needs bash and curl, and a server started with
#   saifu serve --demo          (or: go run ./cmd/saifu serve --demo)
# SAIFU_URL defaults to http://localhost:8080; SAIFU_MERCHANT_KEY is the
# demo merchant's secret key that serve printed at its first start.
#
# It stops at the first step that fails, showing the request and the
# response. It may be run again on the same server: each run signs up a
# new user, and a sandbox bank account links to one saifu user only, so
# each run takes the next fixture account that no earlier run linked
# (three in all: suzuki, yamada, tanaka). To start over after three runs,
# stop serve, delete its data directory (rm -rf saifu-data, or your
# --data-dir) and start `saifu serve --demo` again: it prints a new
# merchant key.
set -Eeuo pipefail
B=${SAIFU_URL:-http://localhost:8080}
B=${B%/}
SK=${SAIFU_MERCHANT_KEY:?set SAIFU_MERCHANT_KEY to the demo merchant secret key printed by serve --demo}
RUN=${DEMO_RUN:-$(date +%s)$RANDOM}
PASS='correct horse battery staple'

# The sandbox's fixture accounts (API.md): bank code, online-banking
# login and password, the holder's name (the KYC name must match it), and
# the phone the bank texts its one-time code to.
FIXTURES=(
  "0001 suzuki suzuki-pass-0001 SUZUKI_HANAKO +819000000002"
  "0001 yamada yamada-pass-0001 YAMADA_TARO +819000000001"
  "0002 tanaka tanaka-pass-0002 TANAKA_ICHIRO +819000000003"
)

# die MESSAGE: stops the walkthrough (exit 3, which the ERR trap passes
# on from the subshell of a $(…) without saying it twice).
die() { printf '\nwalkthrough FAILED: %s\n' "$*" >&2; exit 3; }
trap 'rc=$?; [ "$rc" = 3 ] || printf "\nwalkthrough FAILED: line %s exited %s\n" "$LINENO" "$rc" >&2; exit 3' ERR

# req METHOD URL [curl args…]: prints the response body; stops the
# walkthrough, showing request and response, on no answer or on an HTTP
# status of 400 or more. Always call it as VAR=$(req …): set -e then stops
# the whole script when it fails.
req() {
  local method=$1 url=$2 out status body
  shift 2
  out=$(curl -sS -X "$method" -w '\n%{http_code}' "$@" "$url") || die "$method $url: no answer from the server"
  status=${out##*$'\n'}
  body=${out%$'\n'*}
  if [ "$status" -ge 400 ]; then
    die "$method $url answered HTTP $status:
$body"
  fi
  printf '%s' "$body"
}
# api METHOD PATH [curl args…]: req on the JSON API.
api() { local m=$1 p=$2; shift 2; req "$m" "$B$p" -H 'Content-Type: application/json' "$@"; }
# want BODY TEXT STEP: stops unless the response BODY contains TEXT.
want() { case "$1" in *"$2"*) ;; *) die "$3: expected $2 in the response:
$1" ;; esac; }
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
urlenc() { printf '%s' "$1" | sed 's/+/%2B/g; s/@/%40/g'; }
# count TO: how many messages the sandbox mailbox holds for TO.
count() { req GET "$B/sandbox/api/messages?to=$(urlenc "$1")" | { grep -o '"sent_at"' || true; } | wc -l; }
# code TO BEFORE: the 6-digit code in the first message to TO after the
# BEFORE it already had (mail leaves through an outbox, so wait a little).
code() {
  local msgs c
  for _ in $(seq 1 50); do
    msgs=$(req GET "$B/sandbox/api/messages?to=$(urlenc "$1")")
    if [ "$(printf '%s' "$msgs" | { grep -o '"sent_at"' || true; } | wc -l)" -gt "$2" ]; then
      c=$(printf '%s' "$msgs" | { grep -o '[^0-9][0-9]\{6\}[^0-9]' || true; } | tail -1 | tr -dc 0-9)
      if [ -n "$c" ]; then echo "$c"; return; fi
    fi
    sleep 0.2
  done
  die "no new code arrived for $1"
}
flow() { { grep -o 'name="flow" value="[^"]*"' || true; } | sed 's/.*value="//;s/"$//'; }

LINKED=
for fixture in "${FIXTURES[@]}"; do
  read -r BANK LOGIN BANKPASS HOLDER PHONE <<<"$fixture"
  HOLDER=${HOLDER/_/ }
  EMAIL="demo.$RUN.$LOGIN@example.com"

  echo "== 1. sign up $EMAIL, read the code from the sandbox mailbox, verify"
  BEFORE=$(count "$EMAIL")
  OUT=$(api POST /api/v1/signup -d "{\"email\":\"$EMAIL\",\"password\":\"$PASS\"}"); echo "$OUT"
  CODE=$(code "$EMAIL" "$BEFORE")
  OUT=$(api POST /api/v1/signup/verify -d "{\"email\":\"$EMAIL\",\"code\":\"$CODE\"}")
  TOKEN=$(echo "$OUT" | field session_token)
  [ -n "$TOKEN" ] || die "signup/verify gave no session_token: $OUT"
  AUTH="Authorization: Bearer $TOKEN"

  echo "== 2. identity verification (eKYC sandbox) as $HOLDER, then re-authenticate"
  OUT=$(api POST /api/v1/kyc -H "$AUTH" -d "{\"full_name\":\"$HOLDER\",\"birth_date\":\"1990-04-01\",\"document_token\":\"sandbox-approve\"}"); echo "$OUT"
  want "$OUT" '"kyc_status":"verified"' "KYC"
  OUT=$(api POST /api/v1/reauth -H "$AUTH" -d "{\"password\":\"$PASS\"}"); echo "$OUT"

  echo "== 3. link bank $BANK as $LOGIN through the bank's own login, SMS code and consent"
  OUT=$(api POST /api/v1/bank-links -H "$AUTH" -H "Idempotency-Key: link-$EMAIL" -d "{\"bank_code\":\"$BANK\"}")
  LINK=$(echo "$OUT" | field bank_link_id)
  AUTHORIZE=$(echo "$OUT" | field authorize_url | sed 's/\\u0026/\&/g')
  [ -n "$LINK" ] && [ -n "$AUTHORIZE" ] || die "bank-links gave no bank_link_id or authorize_url: $OUT"
  FLOW=$(req GET "$AUTHORIZE" | flow)
  SMS_BEFORE=$(count "$PHONE")
  FLOW=$(req POST "$B/sandbox/bank/$BANK/login" -d flow="$FLOW" -d login_id="$LOGIN" -d password="$BANKPASS" | flow)
  OTP=$(code "$PHONE" "$SMS_BEFORE")
  FLOW=$(req POST "$B/sandbox/bank/$BANK/otp" -d flow="$FLOW" -d otp="$OTP" | flow)
  OUT=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' -X POST "$B/sandbox/bank/$BANK/consent" -d flow="$FLOW" -d decision=approve) ||
    die "POST $B/sandbox/bank/$BANK/consent: no answer from the server"
  case "$OUT" in 30[0-9]\ http*) ;; *) die "the bank's consent did not redirect back: $OUT" ;; esac
  OUT=$(curl -sS -w '\n%{http_code}' "${OUT#* }") || die "the bank-link callback: no answer from the server"
  STATUS=${OUT##*$'\n'}
  OUT=${OUT%$'\n'*}
  echo "$OUT"
  if [ "$STATUS" = 403 ] || [ "$STATUS" = 409 ]; then
    echo "   (an earlier run linked $LOGIN's account; trying the next fixture account)"
    continue
  fi
  [ "$STATUS" -lt 400 ] || die "the bank-link callback answered HTTP $STATUS:
$OUT"
  want "$OUT" '"status":"active"' "bank link"
  LINKED=$LOGIN
  break
done
[ -n "$LINKED" ] || die "every sandbox fixture account is linked by an earlier run. To start over:
stop serve, delete its data directory (rm -rf saifu-data, or your --data-dir), start saifu serve --demo again."

echo "== 4. top up 5,000 JPY from the bank (money balance)"
OUT=$(api POST /api/v1/topups -H "$AUTH" -H "Idempotency-Key: topup-$EMAIL" \
  -d "{\"source\":{\"type\":\"bank\",\"bank_link_id\":\"$LINK\"},\"amount\":5000}"); echo "$OUT"
want "$OUT" '"status":"succeeded"' "top-up"

echo "== 5. a one-time payment code, charged by the merchant"
OUT=$(api POST /api/v1/payment-codes -H "$AUTH" -H "Idempotency-Key: code-$EMAIL")
PAYCODE=$(echo "$OUT" | field code)
[ -n "$PAYCODE" ] || die "payment-codes gave no code: $OUT"
OUT=$(api POST /api/v1/merchant/charges -H "Authorization: Bearer $SK" -H "Idempotency-Key: order-$EMAIL" \
  -d "{\"payment_code\":\"$PAYCODE\",\"amount\":1200,\"order_id\":\"1001\"}"); echo "$OUT"
want "$OUT" '"status":"succeeded"' "merchant charge"

echo "== 6. withdraw 1,000 JPY: held, because the bank link is new"
OUT=$(api POST /api/v1/withdrawals -H "$AUTH" -H "Idempotency-Key: wd-$EMAIL" \
  -d "{\"bank_link_id\":\"$LINK\",\"amount\":1000}"); echo "$OUT"
want "$OUT" '"status":"held"' "withdrawal"

echo "== 7. the wallet, its history and the notices"
OUT=$(api GET /api/v1/wallet -H "$AUTH"); echo "$OUT"
OUT=$(api GET /api/v1/wallet/transactions -H "$AUTH"); echo "$OUT"
OUT=$(api GET /api/v1/notifications -H "$AUTH"); echo "${OUT:0:400}"
echo "== done: $EMAIL linked $LINKED's sandbox account"
