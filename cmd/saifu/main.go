// Command saifu is the whole service in one binary: `saifu serve` runs the
// JSON API (and, with --demo, the sandbox counterparts); `saifu migrate`
// applies migrations; `saifu verify` checks the ledger's invariants;
// `saifu bench` measures throughput.
package main

import (
	"context"
	"fmt"
	"os"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "saifu:", err)
		os.Exit(exitCode(err))
	}
}
