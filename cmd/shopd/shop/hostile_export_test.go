package shop

// StaffLocksForTest counts the per-staff PIN mutexes s keeps.
func StaffLocksForTest(s *Server) int {
	n := 0
	s.staffLocks.Range(func(any, any) bool { n++; return true })
	return n
}
