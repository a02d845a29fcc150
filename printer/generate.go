package printer

// The pictures in docs/img are rendered by the real renderer from the
// layouts; regenerate them (and the golden bytes) after a deliberate change.
//go:generate go test -count=1 -run TestGolden -update .
