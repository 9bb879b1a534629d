package password

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"sync"
)

// blocklistGz is the common-password list: gzip, one lower-cased password a
// line. Built by ./gen from @zxcvbn-ts/language-common (MIT, see NOTICE).
//
//go:embed blocklist.txt.gz
var blocklistGz []byte

// blocklistEntriesMin guards against a truncated or wrong embedded file:
// fewer entries than this is a load failure, and CheckPolicy fails closed.
const blocklistEntriesMin = 40000

var (
	blocklistOnce sync.Once
	blocklistSet  map[string]struct{}
	blocklistErr  error
)

// blocklist loads the embedded list once.
func blocklist() (map[string]struct{}, error) {
	blocklistOnce.Do(func() {
		blocklistSet, blocklistErr = loadBlocklist(blocklistGz, blocklistEntriesMin)
	})
	return blocklistSet, blocklistErr
}

// BlocklistSize is the number of passwords refused as common, or 0 when
// the list failed to load.
func BlocklistSize() int {
	list, err := blocklist()
	if err != nil {
		return 0
	}
	return len(list)
}

func loadBlocklist(gz []byte, entriesMin int) (map[string]struct{}, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("password: blocklist: %w", err)
	}
	set := make(map[string]struct{}, 50000)
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		if w := sc.Text(); w != "" {
			set[w] = struct{}{}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("password: blocklist: %w", err)
	}
	if len(set) < entriesMin {
		return nil, fmt.Errorf("password: blocklist has %d entries, want at least %d", len(set), entriesMin)
	}
	return set, nil
}
