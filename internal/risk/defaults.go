package risk

// DefaultRules is the rule set a new deployment starts with: saifu's fixed
// controls and the incidents of PRODUCT.md, each rule naming its incident.
// They are data like any other rule: an operator edits, backtests and
// publishes new versions of them. The fixed controls in the services stay
// as a floor under them (a rule can add friction, never remove a control
// that the code enforces).
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
		// (SBI Securities: money out right after a credential change waits
		// — the fixed cooling-off hold of funding does that today, with
		// its own reason; it moves here with the other fixed controls.)
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
		// 7pay / SBI: a sign-in from an unknown device and network after
		// failures needs a second factor.
		{ID: "login-new-device-after-failures", Version: 1, Name: "sign-in from a new device after failures",
			Expression: `kind == "login" && !device_seen && !network_seen && failures_1h >= 3`,
			Action:     StepUp, Reason: "a sign-in from a new device and network after failed attempts",
			ReasonJA: "失敗が続いた後の、新しい端末とネットワークからのログインです"},
	}
}
