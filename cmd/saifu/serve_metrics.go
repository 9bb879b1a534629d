package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/saifu-pay/saifu/internal/app"
)

// metricsWriteTimeout bounds one answer of the private listener; it must
// exceed the longest CPU profile asked for (pprof's default is 30 s).
const metricsWriteTimeout = 2 * time.Minute

// serveMetrics listens on addr and serves a's metrics handler (/metrics
// and /debug/pprof/) there, on a server of its own: nothing of it is on
// the public listener. A failure to serve is sent on served.
func serveMetrics(addr string, a *app.App, stdout io.Writer, served chan<- error) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on --metrics-addr %s: %w", addr, err)
	}
	if ap, err := net.ResolveTCPAddr("tcp", ln.Addr().String()); err == nil && !ap.IP.IsLoopback() {
		a.Log.Warn("metrics and pprof listen beyond loopback: let only the monitoring network reach them", "addr", ln.Addr().String())
	}
	srv := &http.Server{
		Handler:           a.MetricsHandler(),
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      metricsWriteTimeout,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    8 << 10,
	}
	fmt.Fprintf(stdout, "saifu metrics on http://%s/metrics (pprof under /debug/pprof/)\n", ln.Addr())
	a.Log.Info("metrics listening", "addr", ln.Addr().String())
	go func() {
		if err := srv.Serve(ln); err != http.ErrServerClosed {
			served <- fmt.Errorf("metrics listener: %w", err)
		}
	}()
	return srv, nil
}
