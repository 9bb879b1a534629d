package store_test

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/saifu-pay/saifu/internal/store"
)

func TestDisconnected(t *testing.T) {
	pg := func(code string) error { return fmt.Errorf("wrapped: %w", &pgconn.PgError{Code: code}) }
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{pg("57P01"), true}, // admin shutdown (terminated, postmaster exit)
		{pg("57P02"), true}, // crash shutdown
		{pg("57P03"), true}, // cannot connect now (starting, in recovery)
		{pg("08006"), true}, // connection failure
		{pg("25006"), true}, // read-only transaction: reached a standby
		{pg("40001"), false},
		{pg("23505"), false},
		{fmt.Errorf("store: begin: %w", io.ErrUnexpectedEOF), true},
		{errors.New("insufficient funds"), false},
	}
	for _, tt := range tests {
		if got := store.Disconnected(tt.err); got != tt.want {
			t.Errorf("Disconnected(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
