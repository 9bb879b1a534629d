package wallet

import "testing"

func TestBalanceLeft(t *testing.T) {
	b := Balance{
		Limits: map[string]FlowLimit{
			FlowPayment:    {PerTransaction: 100, PerDay: 300, PerMonth: 1000},
			FlowP2P:        {PerTransaction: 100, PerDay: 300, PerMonth: 1000},
			FlowTopup:      {PerTransaction: 100, PerDay: 300, PerMonth: 1000},
			FlowWithdrawal: {},
		},
		Used: map[string]Usage{
			FlowPayment: {Day: 120, Month: 200}, // the day is tighter
			FlowP2P:     {Day: 0, Month: 900},   // the month is tighter
			FlowTopup:   {Day: 500, Month: 500}, // over (a lowered limit)
		},
	}
	tests := []struct {
		flow     string
		wantLeft int64
	}{
		{FlowPayment, 180},
		{FlowP2P, 100},
		{FlowTopup, 0},
		{FlowWithdrawal, 0},
		{"unknown", 0},
	}
	for _, tt := range tests {
		if got := b.Left(tt.flow); got != tt.wantLeft {
			t.Errorf("Left(%s) = %d, want %d", tt.flow, got, tt.wantLeft)
		}
	}
}
