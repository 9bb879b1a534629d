package redteam

import (
	"context"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"
)

// Bounds of spreading sign-ups over source addresses, with why.
const (
	// signupsPerSource is how many accounts the run signs up from one
	// source address: under saifu's default sign-up limit per client
	// address (30 an hour), with room for the sign-ups scenarios send
	// from the default address as part of an attack.
	signupsPerSource = 20
	// sourcesMax bounds the loopback addresses a run uses (127.0.0.1 to
	// 127.0.0.16): 320 accounts, far beyond the suite's needs.
	sourcesMax = 16
	// networksMax bounds the attacker's own networks (network): one
	// loopback /24 each, 127.0.101.0/24 to 127.0.116.0/24, apart from the
	// accounts' 127.0.0.0/24 so that per-network counts of one never meet
	// the other.
	networksMax  = 16
	networkFirst = 101 // the third octet of the first
)

// sources hands each account the red team signs up a client address.
// saifu limits sign-ups per client address, and the suite needs more
// accounts than one address may open in an hour: against a target on
// this machine (a loopback address, where every 127.0.0.0/8 address is
// local), the accounts are spread over 127.0.0.1, 127.0.0.2, …, each
// account's device keeping its own address for the whole scenario.
// Attackers' devices (NewAgent) keep the default address, so every
// per-address control an attack meets is met as from one machine. On
// any other target, or where 127.0.0.2 cannot be bound (macOS), every
// request uses the default transport and a long run meets the limit.
type sources struct {
	mu         sync.Mutex
	spread     bool
	signups    int
	transports []http.RoundTripper // [i] binds 127.0.0.(i+1)
	networks   map[int]http.RoundTripper
}

func newSources(base *url.URL, cfg Config) *sources {
	s := &sources{}
	if cfg.Transport != nil || !isLoopback(base.Hostname()) {
		return s
	}
	l, err := net.Listen("tcp4", "127.0.0.2:0")
	if err != nil {
		return s
	}
	l.Close()
	s.spread = true
	return s
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.To4() != nil && ip.IsLoopback()
}

// next is the transport of the next account signed up, or nil (the
// target's transport).
func (s *sources) next() http.RoundTripper {
	if s == nil || !s.spread {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.signups / signupsPerSource
	s.signups++
	if i == 0 || i >= sourcesMax {
		return nil // the default address first; past the bound too
	}
	for len(s.transports) <= i {
		s.transports = append(s.transports, bound(net.IPv4(127, 0, 0, byte(len(s.transports)+1))))
	}
	return s.transports[i]
}

// network is a transport from the i-th of the attacker's own networks
// (127.0.101.1, 127.0.102.1, …), for an attack spread over sources; nil
// (the target's transport) where sources are not spread or i is past
// networksMax.
func (s *sources) network(i int) http.RoundTripper {
	if s == nil || !s.spread || i < 0 || i >= networksMax {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.networks == nil {
		s.networks = map[int]http.RoundTripper{}
	}
	if s.networks[i] == nil {
		s.networks[i] = bound(net.IPv4(127, 0, byte(networkFirst+i), 1))
	}
	return s.networks[i]
}

// bound is a transport whose connections leave from ip.
func bound(ip net.IP) http.RoundTripper {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 10 * time.Second}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return d.DialContext(ctx, "tcp4", addr)
	}
	return tr
}

// close closes the idle connections of the run's transports.
func (s *sources) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, tr := range append(slices.Collect(maps.Values(s.networks)), s.transports...) {
		if tr, ok := tr.(*http.Transport); ok {
			tr.CloseIdleConnections()
		}
	}
}
