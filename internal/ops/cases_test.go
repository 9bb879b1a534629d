package ops_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// race runs call from n goroutines at once and counts how many
// succeeded and how many were apperr.Conflict; any other error fails t.
func race(t *testing.T, n int, call func() error) (won, conflicts int) {
	t.Helper()
	var w, c atomic.Int64
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			switch err := call(); {
			case err == nil:
				w.Add(1)
			case apperr.CodeOf(err) == apperr.Conflict:
				c.Add(1)
			default:
				t.Errorf("%v", err)
			}
		})
	}
	wg.Wait()
	return int(w.Load()), int(c.Load())
}

// TestCaseStatusOneWins: of parallel changes of one case's status
// exactly one applies and writes its timeline event; the others are
// apperr.Conflict. Many rounds of many callers, so that on PostgreSQL
// (several connections, READ COMMITTED) changes overlap: it is the
// conditional update's row count that decides, not the status read
// before it (with "AND status = ?" dropped, PostgreSQL lets several
// win).
func TestCaseStatusOneWins(t *testing.T) {
	const rounds, callers = 20, 8
	storetest.Each(t, operatorSets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: now()}
		o := newOperators(t, db, c)
		_, others := opsOf(t, o, db, c, ops.RoleRisk)
		rk := others[0]
		for round := range rounds {
			id := fmt.Sprintf("case_race%d", round)
			if _, err := db.Exec(ctx, `INSERT INTO ops_cases (id, user_id, title, status, outcome, opened_by, opened_at, updated_at, closed_by, closed_at)
				VALUES (?, ?, 'race', 'open', '', 'op', 1, 1, '', 0)`, id, "usr_"+id); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(ctx, `INSERT INTO ops_case_events (case_id, seq, at, actor, kind, status, outcome, text)
				VALUES (?, 1, 1, 'op', 'opened', '', '', 'race')`, id); err != nil {
				t.Fatal(err)
			}
			won, conflicts := race(t, callers, func() error {
				_, _, err := o.SetCaseStatus(ctx, rk, id, ops.CaseChange{Status: ops.CaseClosed, Outcome: ops.OutcomeFalsePositive, Reason: "race"})
				return err
			})
			var events int
			if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM ops_case_events WHERE case_id = ?`, id).Scan(&events); err != nil {
				t.Fatal(err)
			}
			if won != 1 || conflicts != callers-1 || events != 2 {
				t.Fatalf("round %d: %d won, %d conflicts, %d events; want 1, %d, 2", round, won, conflicts, events, callers-1)
			}
		}
	})
}

// usersThatExist is a user side where every user exists (the rest of
// ops.Users is not called by what uses it).
type usersThatExist struct{ ops.Users }

func (usersThatExist) Exists(context.Context, string) error { return nil }

// TestCaseOpenOnce: of parallel openings of a case on one user exactly
// one opens it; the others are apperr.Conflict, and the user has one
// case. Many rounds of many callers, so that on PostgreSQL they overlap:
// the unique index of cases not closed decides (without it, PostgreSQL
// lets several open one).
func TestCaseOpenOnce(t *testing.T) {
	const rounds, callers = 20, 8
	storetest.Each(t, operatorSets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: now()}
		o := newOperatorsCfg(t, db, c, ops.OperatorsConfig{Users: usersThatExist{}})
		_, others := opsOf(t, o, db, c, ops.RoleSupport)
		for round := range rounds {
			user := fmt.Sprintf("usr_race%d", round)
			won, conflicts := race(t, callers, func() error {
				_, err := o.OpenCase(ctx, others[0], user, "race")
				return err
			})
			var cases int
			if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM ops_cases WHERE user_id = ?`, user).Scan(&cases); err != nil {
				t.Fatal(err)
			}
			if won != 1 || conflicts != callers-1 || cases != 1 {
				t.Fatalf("round %d: %d won, %d conflicts, %d cases; want 1, %d, 1", round, won, conflicts, cases, callers-1)
			}
		}
	})
}
