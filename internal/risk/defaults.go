package risk

// DefaultRules is the rule set a new deployment starts with: saifu's fixed
// controls and the incidents of PRODUCT.md, each rule naming its incident.
// They are data like any other rule: an operator edits, backtests and
// publishes new versions of them. saifu's fixed controls — 3-D Secure on
// a first or large card top-up or from an untrusted session, the
// cooling-off period after a password reset or email change, the wait of
// a new device and of a new bank link — are rules here too, so that one
// place decides and one list of reasons says why. What stays in the code
// are limits, not decisions: throttles, attempt limits, cards per account,
// the amount limits, and the payments cap during cooling-off (a running
// total checked under the payer's lock, which no single event's features
// can express).
func DefaultRules() []Rule {
	return []Rule{
		// 7pay (2019): accounts taken over through a password reset, then
		// the victims' cards charged from the attackers' devices within
		// hours. A card top-up soon after a reset or email change, from a
		// device the user never used, needs 3-D Secure, which only the
		// cardholder passes.
		{ID: "7pay-card-topup-after-reset", Version: 1, Name: "card top-up after a reset from a new device",
			Expression: `kind == "card_topup" && (hours_since_password_reset < 72 || hours_since_email_change < 72) && !device_seen`,
			Action:     StepUp, Reason: "a card top-up shortly after a password or email change, from a new device",
			ReasonJA: "パスワードまたはメールアドレスの変更直後に、新しい端末からカードでチャージしようとしました"},
		// 7pay: the first top-up from a card, and large ones, go through
		// 3-D Secure (the fixed control, as a rule).
		{ID: "card-topup-first-or-large", Version: 1, Name: "first or large card top-up",
			Expression: `kind == "card_topup" && (card_topups == 0 || amount >= 30000)`,
			Action:     StepUp, Reason: "the first top-up from this card, or a large one",
			ReasonJA: "このカードからの初めてのチャージ、または高額のチャージです"},
		// docomo-koza (2020): one person linked many victims' bank
		// accounts to wallets they opened in the victims' names. The same
		// device or network linking accounts for different KYC names is
		// held for a person to look at.
		{ID: "docomo-koza-many-names-one-device", Version: 1, Name: "bank links for several names from one device or network",
			Expression: `kind == "bank_link" && network_kyc_names_24h >= 2`,
			Action:     Hold, Reason: "bank accounts of different people linked from one device or network",
			ReasonJA: "同じ端末またはネットワークから、別々の名義の銀行口座が登録されています"},
		// docomo-koza: a wallet without identity verification links no
		// bank account. (Funding's fixed check refuses it too, after
		// asking, and answers kyc_required: the rule puts the attempt
		// among the user's decisions and counts.)
		{ID: "docomo-koza-link-without-kyc", Version: 1, Name: "bank link without identity verification",
			Expression: `kind == "bank_link" && !kyc_verified`,
			Action:     Decline, Reason: "identity verification is required to link a bank account",
			ReasonJA: "銀行口座の登録には本人確認が必要です"},
		// SBI Securities (2020): destinations changed to the attackers'
		// accounts, then large withdrawals. A large withdrawal to an
		// account linked less than 7 days ago is held.
		{ID: "sbi-withdrawal-to-new-destination", Version: 1, Name: "large withdrawal to a new destination",
			Expression: `kind == "withdrawal" && destination_age_hours < 168 && amount >= 50000`,
			Action:     Hold, Reason: "a large withdrawal to a bank account linked in the last 7 days",
			ReasonJA: "7日以内に登録した銀行口座への高額の出金です"},
		// SBI Securities (2020): the attackers' new destination received
		// the money at once. A newly linked bank account receives no
		// withdrawal before its waiting period ends: the withdrawal is
		// held until then (the holder has been told of the link).
		{ID: "sbi-new-destination-wait", Version: 1, Name: "withdrawal to a bank account in its waiting period",
			Expression: `kind == "withdrawal" && destination_usable_at > now`,
			Action:     Delay, Until: "destination_usable_at",
			Reason:   "withdrawals to a newly linked bank account wait until its waiting period ends",
			ReasonJA: "新しく登録した銀行口座への出金は、待機期間が終わるまでお待ちいただきます"},
		// SBI Securities / 7pay: money out right after a password reset or
		// an email change — the taker-over's first move — waits for the
		// cooling-off period (72 h by default; the owner was mailed at the
		// old address and can stop it): a withdrawal is held until then, a
		// transfer refused.
		{ID: "cooling-off-money-out", Version: 1, Name: "money out during the cooling-off period",
			Expression: `(kind == "withdrawal" || kind == "p2p") && cooling_off_until > now`,
			Action:     Delay, Until: "cooling_off_until",
			Reason:   "money out is paused for a while after a password or email change",
			ReasonJA: "パスワードまたはメールアドレスの変更後しばらくは、出金と送金をお待ちいただきます"},
		// 7pay / SBI: a stolen password signs in from a new device. Money
		// leaves only from a device the account has used for a day, or a
		// session that proved a trusted second factor: a withdrawal waits
		// until then, a transfer asks for the factor.
		{ID: "new-device-money-out", Version: 1, Name: "money out from a new device",
			Expression: `(kind == "withdrawal" || kind == "p2p") && money_out_trusted_at > now`,
			Action:     Delay, Until: "money_out_trusted_at",
			Reason:   "this device signed in to the account only recently, with a password alone",
			ReasonJA: "この端末からは最近パスワードのみでログインしたため"},
		// 7pay (2019): the taken-over accounts bought cigarettes at
		// convenience stores, one till after another, the moment the
		// thieves were in. From a session that may not move money out yet
		// (a device signed in with a password alone, not yet recognised),
		// shop payments stay small: a large one, or more than ¥10,000 in
		// a day, waits for the device or a trusted second factor.
		{ID: "7pay-new-device-shopping", Version: 1, Name: "large shop payments from a new device",
			Expression: `kind == "payment" && money_out_trusted_at > now && (amount >= 5000 || user_amount_24h + amount > 10000)`,
			Action:     Delay, Until: "money_out_trusted_at",
			Reason:   "this device signed in to the account only recently, with a password alone",
			ReasonJA: "この端末からは最近パスワードのみでログインしたため"},
		// 7pay (2019): the victims' cards were charged from taken-over
		// sessions. A card top-up from a session that has not proved
		// itself recently (not privileged, or a device not recognised and
		// no trusted factor), or during cooling-off, goes through 3-D
		// Secure, which only the cardholder passes.
		{ID: "7pay-card-topup-untrusted-session", Version: 1, Name: "card top-up from an untrusted session or during cooling-off",
			Expression: `kind == "card_topup" && (!session_trusted || cooling_off_until > now)`,
			Action:     StepUp, Reason: "a card top-up from a session that has not confirmed it is you recently",
			ReasonJA: "最近本人確認していないセッションからのカードチャージです"},
		// 7pay: money pulled from a linked bank account during cooling-off
		// needs a second factor — one the account had before the change
		// (a taker-over may have enrolled their own since).
		{ID: "cooling-off-bank-topup", Version: 1, Name: "bank top-up during the cooling-off period",
			Expression: `kind == "bank_topup" && cooling_off_until > now`,
			Action:     StepUp, Reason: "a bank top-up shortly after a password or email change",
			ReasonJA: "パスワードまたはメールアドレスの変更直後の、銀行口座からのチャージです"},
		// PayPay (2018): security codes brute-forced by registering the
		// same leaked cards again and again from a few devices.
		{ID: "paypay-card-registration-burst", Version: 1, Name: "many card registrations from one device or address",
			Expression: `kind == "card_registration" && (device_count_1h >= 5 || ip_count_1h >= 10 || network_count_1h >= 30 || failures_1h >= 5)`,
			Action:     Decline, Reason: "too many card registrations from this device or network",
			ReasonJA: "この端末またはネットワークからのカード登録が多すぎます"},
		// PayPay (2018): one card on many accounts. Two accounts may share
		// a card (a couple, a parent and child: funding's fixed limit of
		// users per card); a third is declined here first.
		{ID: "paypay-one-card-many-accounts", Version: 1, Name: "a card already on other accounts",
			Expression: `kind == "card_registration" && card_users >= 3`,
			Action:     Decline, Reason: "this card is registered to other accounts",
			ReasonJA: "このカードは他のアカウントに登録されています"},
		// Mule accounts: money fanned out to many people in an hour.
		{ID: "p2p-many-recipients", Version: 1, Name: "transfers to many people in an hour",
			Expression: `kind == "p2p" && payees_1h >= 5 && first_to_payee`,
			Action:     Hold, Reason: "transfers to many different people within an hour",
			ReasonJA: "1時間のうちに多くの相手へ送金しています"},
		// 7pay (2019): the takeovers went reset → change the address → charge
		// cards, so that the owner heard of nothing. An email change from a
		// device the user never used, within 72 hours of a password reset,
		// needs a trusted second factor (which the attacker does not have).
		{ID: "7pay-email-change-after-reset", Version: 1, Name: "email change soon after a reset, from a new device",
			Expression: `kind == "email_change" && hours_since_password_reset < 72 && !device_seen`,
			Action:     StepUp, Reason: "an email address change shortly after a password reset, from a new device",
			ReasonJA: "パスワード再設定の直後に、新しい端末からメールアドレスを変更しようとしました"},
		// SBI Securities (2020): credential stuffing, then the password
		// changed so that the owner could not get back in. A password
		// change or reset from a new device and network after failed
		// sign-ins needs a second factor (a reset proves one when the
		// account has one).
		{ID: "sbi-password-change-after-failures", Version: 1, Name: "password change from a new device after failures",
			Expression: `kind == "password_change" && !device_seen && !network_seen && failures_1h >= 3`,
			Action:     StepUp, Reason: "a password change from a new device and network after failed sign-ins",
			ReasonJA: "ログインの失敗が続いた後の、新しい端末とネットワークからのパスワード変更です"},
		// 7pay / SBI: the taker-over's next moves, from the device the
		// stolen password signed in on: add their own authenticator app
		// or passkey, change the password or the address — and the owner
		// is locked out (a reset asks for the second factor). From a
		// session that may not move money out yet (a device not yet
		// recognised, no trusted factor) they wait for the device, as
		// money out does.
		{ID: "new-device-credential-change", Version: 1, Name: "credential change from a new device",
			Expression: `(kind == "password_change" || kind == "email_change" || kind == "factor_change") && money_out_trusted_at > now`,
			Action:     Delay, Until: "money_out_trusted_at",
			Reason:   "this device signed in to the account only recently, with a password alone",
			ReasonJA: "この端末からは最近パスワードのみでログインしたため"},
		// 7pay / SBI: a sign-in from an unknown device and network after
		// failures needs a second factor.
		{ID: "login-new-device-after-failures", Version: 1, Name: "sign-in from a new device after failures",
			Expression: `kind == "login" && !device_seen && !network_seen && failures_1h >= 3`,
			Action:     StepUp, Reason: "a sign-in from a new device and network after failed attempts",
			ReasonJA: "失敗が続いた後の、新しい端末とネットワークからのログインです"},
	}
}
