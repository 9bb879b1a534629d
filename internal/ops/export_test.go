package ops

// SnapshotVersion reports the version of the snapshot CheckCapability
// answers from without the database, and false when it would read the
// database instead.
func (c *Controls) SnapshotVersion() (int64, bool) {
	s := c.fresh()
	if s == nil {
		return 0, false
	}
	return s.version, true
}
