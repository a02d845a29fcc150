package shoptest_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
)

// TestNeedsPostgres is run by TestMissingPostgres in a child process
// whose environment hides PostgreSQL; on its own it is a no-op.
func TestNeedsPostgres(t *testing.T) {
	if os.Getenv("SHOPTEST_CHILD") == "" {
		t.Skip("run by TestMissingPostgres")
	}
	var pg shoptest.Postgres
	defer pg.Stop()
	pg.Cluster(t)
	t.Log("reached the test body")
}

// TestMissingPostgres: without PostgreSQL, a test that needs it is skipped
// with a message on a developer's machine and fails in CI.
func TestMissingPostgres(t *testing.T) {
	for _, tc := range []struct {
		ci       string
		wantFail bool
		want     string
	}{
		{"", false, "--- SKIP: TestNeedsPostgres"},
		{"true", true, "PostgreSQL is required in CI"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestNeedsPostgres$", "-test.v")
		env := []string{"SHOPTEST_CHILD=1", "SKRANKE_PG_BIN=" + t.TempDir()}
		for _, e := range os.Environ() {
			if !strings.HasPrefix(e, "CI=") {
				env = append(env, e)
			}
		}
		if tc.ci != "" {
			env = append(env, "CI="+tc.ci)
		}
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if failed := err != nil; failed != tc.wantFail {
			t.Errorf("CI=%q: failed = %v, want %v:\n%s", tc.ci, failed, tc.wantFail, out)
		}
		if !strings.Contains(string(out), tc.want) || !strings.Contains(string(out), "PostgreSQL is not installed") {
			t.Errorf("CI=%q: output lacks %q and the reason:\n%s", tc.ci, tc.want, out)
		}
		if strings.Contains(string(out), "reached the test body") {
			t.Errorf("CI=%q: the test ran without PostgreSQL:\n%s", tc.ci, out)
		}
	}
}
