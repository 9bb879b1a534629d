package sandbox_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/saifu-pay/saifu/internal/connector"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

func TestKYC(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		tests := []struct {
			name    string
			req     connector.KYCRequest
			want    connector.KYCResult
			wantErr error
		}{
			{"approve", connector.KYCRequest{FullName: "山田 太郎", BirthDate: "1990-04-01", DocumentToken: "sandbox-approve"},
				connector.KYCResult{Status: connector.KYCVerified, FullName: "山田 太郎", BirthDate: "1990-04-01"}, nil},
			{"approve, romaji", connector.KYCRequest{FullName: "YAMADA TARO", BirthDate: "1985-12-31", DocumentToken: "sandbox-approve"},
				connector.KYCResult{Status: connector.KYCVerified, FullName: "YAMADA TARO", BirthDate: "1985-12-31"}, nil},
			{"reject", connector.KYCRequest{FullName: "山田 太郎", BirthDate: "1990-04-01", DocumentToken: "sandbox-reject"},
				connector.KYCResult{Status: connector.KYCRejected, Reason: "document_not_verified"}, nil},
			{"unknown document", connector.KYCRequest{FullName: "山田 太郎", BirthDate: "1990-04-01", DocumentToken: "passport-123"},
				connector.KYCResult{}, connector.ErrInvalidRequest},
			{"impossible date", connector.KYCRequest{FullName: "山田 太郎", BirthDate: "1990-02-30", DocumentToken: "sandbox-approve"},
				connector.KYCResult{}, connector.ErrInvalidRequest},
			{"born in the future", connector.KYCRequest{FullName: "山田 太郎", BirthDate: "2999-01-01", DocumentToken: "sandbox-approve"},
				connector.KYCResult{}, connector.ErrInvalidRequest},
			{"control characters in the name", connector.KYCRequest{FullName: "山田\x00太郎", BirthDate: "1990-04-01", DocumentToken: "sandbox-approve"},
				connector.KYCResult{}, connector.ErrInvalidRequest},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := e.kyc.Verify(context.Background(), tt.req)
				if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if diff := cmp.Diff(got, tt.want, cmpopts.IgnoreFields(connector.KYCResult{}, "ID")); diff != "" {
					t.Errorf("result (-got +want):\n%s", diff)
				}
				if err == nil && got.ID == "" {
					t.Error("no verification id")
				}
			})
		}
	})
}
