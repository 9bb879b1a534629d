// Command gen builds the password blocklist embedded by package password
// from the common-password list of the npm package @zxcvbn-ts/language-common
// (MIT licence; see ../NOTICE).
//
// How blocklist.txt.gz was built:
//
//	cd /tmp && npm pack @zxcvbn-ts/language-common@4.1.3
//	tar xzf zxcvbn-ts-language-common-4.1.3.tgz
//	go run ./internal/identity/password/gen \
//	    -in /tmp/package/src/passwords.json \
//	    -out internal/identity/password/blocklist.txt.gz
//
// The input is a JSON array of strings. The output is gzip, one password a
// line, lower-cased, deduplicated and sorted, so that rebuilding from the
// same input gives the same bytes.
package main

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
)

// entriesMin guards against building from the wrong file: the source list
// holds about 49,000 passwords.
const entriesMin = 40000

func main() {
	in := flag.String("in", "", "passwords.json from @zxcvbn-ts/language-common")
	out := flag.String("out", "blocklist.txt.gz", "gzip file to write")
	flag.Parse()
	n, err := build(*in, *out, entriesMin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %d passwords to %s\n", n, *out)
}

func build(in, out string, entriesMin int) (int, error) {
	if in == "" {
		return 0, errors.New("-in is required")
	}
	raw, err := os.ReadFile(in)
	if err != nil {
		return 0, err
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return 0, fmt.Errorf("%s: want a JSON array of strings: %w", in, err)
	}
	seen := map[string]bool{}
	var words []string
	for _, w := range list {
		w = strings.ToLower(strings.TrimSpace(w))
		if w == "" || strings.ContainsAny(w, "\r\n") || seen[w] {
			continue
		}
		seen[w] = true
		words = append(words, w)
	}
	if len(words) < entriesMin {
		return 0, fmt.Errorf("%s: only %d passwords, want at least %d", in, len(words), entriesMin)
	}
	slices.Sort(words)
	f, err := os.Create(out)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	zw, err := gzip.NewWriterLevel(f, gzip.BestCompression)
	if err != nil {
		return 0, err
	}
	bw := bufio.NewWriter(zw)
	for _, w := range words {
		bw.WriteString(w)
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	return len(words), f.Close()
}
