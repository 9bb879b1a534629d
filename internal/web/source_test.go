package web

import (
	"io/fs"
	"os"
)

// goSources is the package's directory, for tests that read its source.
type goSources struct{}

func (goSources) Open(name string) (fs.File, error) { return os.DirFS(".").Open(name) }
