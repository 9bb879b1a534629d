package funding

// The fault points of Config.Fault (crash tests).
const (
	// FaultTopupBeforeBank: the bank top-up is recorded processing, the
	// bank not asked yet.
	FaultTopupBeforeBank = "topup.before_bank"
	// FaultTopupBeforeCredit: the counterpart paid (bank debit or card
	// capture), the ledger is not credited yet.
	FaultTopupBeforeCredit = "topup.before_credit"
	// FaultTopupAfterCredit: the ledger credited the top-up, its row is
	// still processing.
	FaultTopupAfterCredit = "topup.after_credit"
	// FaultWithdrawalBeforeHold: the withdrawal is recorded, its ledger
	// hold not placed yet.
	FaultWithdrawalBeforeHold = "withdrawal.before_hold"
	// FaultWithdrawalAfterHold: the ledger holds the money, the row does
	// not know the hold yet.
	FaultWithdrawalAfterHold = "withdrawal.after_hold"
)

func (s *Service) crash(point, id string) error {
	if s.faultFn == nil {
		return nil
	}
	return s.faultFn(point, id)
}
