// Package lint holds checks over the whole repository that run as tests:
// every package has a doc comment saying what it is for (STYLE.md §11),
// and the README and docs/ stand on their own (they link only files of
// the repository and say how to build the binary).
package lint
