package funding

// The fault points of Config.Fault (crash tests), in the order a flow
// passes them.
const (
	// FaultTopupAfterLimit: the top-up's limit is reserved (pending), its
	// row not written yet.
	FaultTopupAfterLimit = "topup.after_limit"
	// FaultTopupBeforeBank: the bank top-up is recorded processing, the
	// bank not asked yet.
	FaultTopupBeforeBank = "topup.before_bank"
	// FaultTopupAfterAuth: the acquirer authorised the card top-up, the
	// row does not know the authorisation yet.
	FaultTopupAfterAuth = "topup.after_auth"
	// FaultTopupBeforeCredit: the counterpart paid (bank debit or card
	// capture), the ledger is not credited yet.
	FaultTopupBeforeCredit = "topup.before_credit"
	// FaultTopupAfterCredit: the ledger credited the top-up, its row is
	// still processing.
	FaultTopupAfterCredit = "topup.after_credit"
	// FaultWithdrawalAfterLimit: the withdrawal's limit is reserved
	// (pending), its row not written yet.
	FaultWithdrawalAfterLimit = "withdrawal.after_limit"
	// FaultWithdrawalBeforeHold: the withdrawal is recorded, its ledger
	// hold not placed yet.
	FaultWithdrawalBeforeHold = "withdrawal.before_hold"
	// FaultWithdrawalAfterHold: the ledger holds the money, the row does
	// not know the hold yet.
	FaultWithdrawalAfterHold = "withdrawal.after_hold"
	// FaultWithdrawalBeforeBank: the withdrawal is claimed for payout, the
	// bank not paid yet.
	FaultWithdrawalBeforeBank = "withdrawal.before_bank"
	// FaultWithdrawalBeforePost: the bank paid, the ledger hold is not
	// posted yet.
	FaultWithdrawalBeforePost = "withdrawal.before_post"
	// FaultWithdrawalBeforeFinish: the hold is posted, the row is still
	// processing.
	FaultWithdrawalBeforeFinish = "withdrawal.before_finish"
	// FaultWithdrawalBeforeVoid: the withdrawal is cancelled (or refused
	// by the bank), its hold not voided yet.
	FaultWithdrawalBeforeVoid = "withdrawal.before_void"
	// FaultWithdrawalAfterRenew: the ledger renewed the hold (voided it
	// and placed a new one), the row still names the old one.
	FaultWithdrawalAfterRenew = "withdrawal.after_renew"
)

func (s *Service) crash(point, id string) error {
	if s.faultFn == nil {
		return nil
	}
	return s.faultFn(point, id)
}
