package notify

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// Webhook endpoints are chosen by merchants, so a delivery must never be
// a way into saifu's own network (server-side request forgery): the
// addresses a delivery may connect to are public unicast ones, and
// loopback, which local development and the tests use (merchant's URL
// check allows plain http only there). The check runs twice: on the URL
// when a merchant sets it (an address written as an IP), and on the
// address actually dialled (a host name that resolves, or is later made to
// resolve, to a private address).

// sharedAddressSpace is RFC 6598's carrier-grade NAT range, private in
// practice though not in netip's IsPrivate.
var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")

// WebhookAddrAllowed reports whether a webhook may be delivered to ip:
// loopback, or a global unicast address that is not private (RFC 1918,
// RFC 4193), shared (RFC 6598) or link-local (cloud metadata services
// live there); never unspecified or multicast.
func WebhookAddrAllowed(ip netip.Addr) bool {
	ip = ip.Unmap()
	if ip.IsLoopback() {
		return true
	}
	return ip.IsGlobalUnicast() && !ip.IsPrivate() && !sharedAddressSpace.Contains(ip)
}

// webhookDialControl refuses, at connect time, an address that
// WebhookAddrAllowed refuses.
func webhookDialControl(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("notify: webhook address %q: %w", address, err)
	}
	if !WebhookAddrAllowed(ap.Addr()) {
		return fmt.Errorf("notify: webhook address %s is not a public one", ap.Addr())
	}
	return nil
}

// webhookTransport is the default client's transport: no proxy from the
// environment (the check must see the endpoint's own address), and the
// dial check above.
func webhookTransport() *http.Transport {
	d := &net.Dialer{Timeout: webhookTimeout, KeepAlive: 30 * time.Second, Control: webhookDialControl}
	return &http.Transport{
		DialContext:         d.DialContext,
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        100,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
}
