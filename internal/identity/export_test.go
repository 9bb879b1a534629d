package identity

// SetBeforeSession makes every login run f between its credential checks
// and the creation of its session, so that a test can put a reset exactly
// there. Set it before any login runs.
func SetBeforeSession(s *Service, f func(userID string)) { s.beforeSession = f }
