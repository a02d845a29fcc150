package sync

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
)

// TestCheckpointOwedOnlyAfterACrash: a cache closed cleanly leaves no WAL
// and owes no checkpoint when it opens again (one at every start held the
// writer while it synced the file: 2 s more before staff could log in);
// a cache whose WAL was left behind, as a crash leaves it, owes one, so
// that deleted personal data in that WAL is copied over and the WAL
// emptied.
func TestCheckpointOwedOnlyAfterACrash(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, CacheFile)
	c, err := openCache(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.write(ctx, "test", func(tx *sql.Tx) error { return setMeta(ctx, tx, "probe", "1") }); err != nil {
		t.Fatal(err)
	}
	// A copy taken now is the cache as a power cut would leave it: the
	// write above is in the WAL only.
	crashed := filepath.Join(t.TempDir(), CacheFile)
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(path + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(crashed+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.close(); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name, path string
		owed       bool
	}{{"closed cleanly", path, false}, {"left by a crash", crashed, true}} {
		c, err := openCache(ctx, tc.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.owed.Load() != 0; got != tc.owed {
			t.Errorf("%s: checkpoint owed %v, want %v", tc.name, got, tc.owed)
		}
		if v, err := c.meta(ctx, "probe"); err != nil || v != "1" {
			t.Errorf("%s: the write before is %q (%v), want it kept", tc.name, v, err)
		}
		c.close()
	}
}
