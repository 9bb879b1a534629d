// Package lint holds checks over the whole repository that run as tests:
// every package has a doc comment saying what it is for (STYLE.md §11).
package lint
