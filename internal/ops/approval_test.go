package ops_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/identity/totp"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// opsOf logs in a new admin and, for each role, a new operator with it.
func opsOf(t *testing.T, o *ops.Operators, db *store.DB, c *clock, roles ...string) (admin ops.Session, others []ops.Session) {
	t.Helper()
	ctx := context.Background()
	login := func(email, secret string) ops.Session {
		c.add(30 * time.Second)
		code, err := totp.Code(secret, c.now())
		if err != nil {
			t.Fatal(err)
		}
		res, err := o.Login(ctx, email, pw, code, ops.Client{IP: "192.0.2.1"})
		if err != nil {
			t.Fatal(err)
		}
		return res.Session
	}
	en := bootstrap(t, o, db, c, "admin@saifu.example")
	admin = login("admin@saifu.example", en.TOTPSecret)
	for i, r := range roles {
		email := r + string(rune('a'+i)) + "@saifu.example"
		en, err := o.Create(ctx, admin, email, pw, []string{r})
		if err != nil {
			t.Fatal(err)
		}
		others = append(others, login(email, en.TOTPSecret))
	}
	return admin, others
}

// testKind registers a kind whose Apply records an audit entry
// "test.applied" (counted after) and counts its calls.
func testKind(t *testing.T, o *ops.Operators, calls *atomic.Int64) {
	t.Helper()
	err := o.RegisterApproval(ops.ApprovalKind{
		Name: "test.action", RequestRole: ops.RoleSupport, ApproveRole: ops.RoleRisk,
		Check: func(_ context.Context, _ *store.Tx, target string, payload json.RawMessage) (json.RawMessage, error) {
			if target == "refused" {
				return nil, apperr.E(apperr.Invalid, "refused target")
			}
			return payload, nil
		},
		Apply: func(ctx context.Context, tx *store.Tx, a ops.Approval) error {
			calls.Add(1)
			return audit.Append(ctx, tx, audit.Entry{At: a.DecidedAt, Actor: "operator:" + a.DecidedBy, Action: "test.applied", Target: a.Target, Details: a.ID})
		},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func countAudit(t *testing.T, db *store.DB, action string) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE action = ?`, action).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestApprovalParallelApproveOnce: of parallel approvals of one request
// by different operators, exactly one applies the action; the others are
// 409 conflict, and the action ran once. On SQLite and PostgreSQL.
func TestApprovalParallelApproveOnce(t *testing.T) {
	storetest.Each(t, operatorSets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: now()}
		o := newOperators(t, db, c)
		var calls atomic.Int64
		testKind(t, o, &calls)
		const approvers = 6
		roles := []string{ops.RoleSupport}
		for range approvers {
			roles = append(roles, ops.RoleRisk)
		}
		_, team := opsOf(t, o, db, c, roles...)
		req, err := o.RequestApproval(ctx, team[0], "test.action", "target-1", json.RawMessage(`{"n":1}`), "needs a second pair of eyes")
		if err != nil {
			t.Fatal(err)
		}
		codes := make(chan apperr.Code, approvers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for _, s := range team[1:] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := o.Approve(ctx, s, req.ID, "")
				codes <- codeOf(err)
			}()
		}
		close(start)
		wg.Wait()
		close(codes)
		got := map[apperr.Code]int{}
		for c := range codes {
			got[c]++
		}
		if diff := cmp.Diff(got, map[apperr.Code]int{"": 1, apperr.Conflict: approvers - 1}); diff != "" {
			t.Errorf("outcomes (-got +want):\n%s", diff)
		}
		if n := countAudit(t, db, "test.applied"); n != 1 {
			t.Errorf("applied %d times, want 1", n)
		}
		if n := calls.Load(); n != 1 {
			t.Errorf("Apply ran %d times, want 1", n)
		}
		items, _, err := o.Approvals(ctx, team[0], ops.ApprovalApproved, "", 10)
		if err != nil || len(items) != 1 || items[0].ID != req.ID || items[0].DecidedBy == "" {
			t.Fatalf("approved list: %+v, %v", items, err)
		}
	})
}

// TestApprovalRules: the requester cannot decide their own request
// (four_eyes_required), a lesser role cannot decide (forbidden), an
// unknown id is not_found, a decided or expired request is conflict, a
// second pending request of a kind on a target is conflict, and a bad
// request stores nothing; every refusal is audited and nothing is
// applied by any of them.
func TestApprovalRules(t *testing.T) {
	storetest.Each(t, operatorSets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: now()}
		o := newOperators(t, db, c)
		var calls atomic.Int64
		testKind(t, o, &calls)
		admin, team := opsOf(t, o, db, c, ops.RoleSupport, ops.RoleSupport, ops.RoleRisk)
		requester, support, risk := team[0], team[1], team[2]
		req, err := o.RequestApproval(ctx, requester, "test.action", "t1", nil, "reason one")
		if err != nil {
			t.Fatal(err)
		}
		c.add(time.Second)
		expiring, err := o.RequestApproval(ctx, requester, "test.action", "t2", nil, "reason two")
		if err != nil {
			t.Fatal(err)
		}
		refusedBefore := countAudit(t, db, "operator.refused") + countAudit(t, db, "operator.denied")
		tests := []struct {
			name     string
			call     func() error
			wantCode apperr.Code
		}{
			{"the requester approves", func() error { _, err := o.Approve(ctx, requester, req.ID, ""); return err }, apperr.FourEyesRequired},
			{"the requester rejects", func() error { _, err := o.Reject(ctx, requester, req.ID, "no"); return err }, apperr.FourEyesRequired},
			{"a lesser role approves", func() error { _, err := o.Approve(ctx, support, req.ID, ""); return err }, apperr.Forbidden},
			{"an unknown id", func() error { _, err := o.Approve(ctx, risk, "apr_nope", ""); return err }, apperr.NotFound},
			{"a reject without reason", func() error { _, err := o.Reject(ctx, risk, req.ID, " "); return err }, apperr.Invalid},
			{"an oversized reason", func() error { _, err := o.Approve(ctx, risk, req.ID, strings.Repeat("x", 501)); return err }, apperr.Invalid},
			{"a second pending request", func() error {
				_, err := o.RequestApproval(ctx, support, "test.action", "t1", nil, "again")
				return err
			}, apperr.Conflict},
			{"a request the kind refuses", func() error {
				_, err := o.RequestApproval(ctx, support, "test.action", "refused", nil, "x")
				return err
			}, apperr.Invalid},
			{"a request without reason", func() error { _, err := o.RequestApproval(ctx, support, "test.action", "t3", nil, ""); return err }, apperr.Invalid},
			{"a request by a viewer's lesser role", func() error {
				_, v := opsOf2(t, o, c, admin, ops.RoleViewer)
				_, err := o.RequestApproval(ctx, v, "test.action", "t4", nil, "x")
				return err
			}, apperr.Forbidden},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				if got := codeOf(tc.call()); got != tc.wantCode {
					t.Errorf("got %q, want %q", got, tc.wantCode)
				}
			})
		}
		if n := countAudit(t, db, "operator.refused") + countAudit(t, db, "operator.denied"); n-refusedBefore != int64(len(tests)) {
			t.Errorf("%d refusals audited, want %d", n-refusedBefore, len(tests))
		}
		if calls.Load() != 0 {
			t.Fatalf("a refused call applied the action")
		}
		items, _, err := o.Approvals(ctx, risk, ops.ApprovalPending, "", 10)
		if err != nil || len(items) != 2 {
			t.Fatalf("pending after refusals: %+v, %v (want the two requests only)", items, err)
		}

		// Rejected: nothing applied, and it cannot be approved after.
		if _, err := o.Reject(ctx, risk, req.ID, "not convinced"); err != nil {
			t.Fatal(err)
		}
		if _, err := o.Approve(ctx, admin, req.ID, ""); codeOf(err) != apperr.Conflict {
			t.Errorf("approve after reject: %v, want conflict", err)
		}
		// Expired after ApprovalTTL: conflict, listed as expired, and a
		// new request of the same target may be made.
		c.add(ops.ApprovalTTL)
		if _, err := o.Approve(ctx, risk, expiring.ID, ""); codeOf(err) != apperr.Conflict {
			t.Errorf("approve after expiry: %v, want conflict", err)
		}
		exp, _, err := o.Approvals(ctx, risk, ops.ApprovalExpired, "", 10)
		if err != nil || len(exp) != 1 || exp[0].ID != expiring.ID {
			t.Errorf("expired: %+v, %v", exp, err)
		}
		if _, err := o.RequestApproval(ctx, requester, "test.action", "t2", nil, "once more"); err != nil {
			t.Errorf("a new request after expiry: %v", err)
		}
		if calls.Load() != 0 || countAudit(t, db, "test.applied") != 0 {
			t.Fatalf("a rejected or expired request applied the action")
		}

		// Paging: newest first, three requests in pages of two.
		all, next, err := o.Approvals(ctx, risk, "", "", 2)
		if err != nil || len(all) != 2 || next == "" {
			t.Fatalf("page 1: %+v %q %v", all, next, err)
		}
		rest, next2, err := o.Approvals(ctx, risk, "", next, 2)
		if err != nil || len(rest) != 1 || next2 != "" || rest[0].ID != req.ID {
			t.Fatalf("page 2: %+v %q %v", rest, next2, err)
		}
		if _, _, err := o.Approvals(ctx, risk, "nope", "", 2); codeOf(err) != apperr.Invalid {
			t.Errorf("unknown status: %v", err)
		}
	})
}

// opsOf2 has admin create and log in one more operator with role.
func opsOf2(t *testing.T, o *ops.Operators, c *clock, admin ops.Session, role string) (string, ops.Session) {
	t.Helper()
	ctx := context.Background()
	email := "late-" + role + "@saifu.example"
	en, err := o.Create(ctx, admin, email, pw, []string{role})
	if err != nil {
		t.Fatal(err)
	}
	c.add(30 * time.Second)
	code, _ := totp.Code(en.TOTPSecret, c.now())
	res, err := o.Login(ctx, email, pw, code, ops.Client{IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	return en.OperatorID, res.Session
}
