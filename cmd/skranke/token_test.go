package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 10, item 3: the desk token never comes from the command line.
func TestDeskTokenFromFileOrEnvironment(t *testing.T) {
	dir := t.TempDir()
	private := filepath.Join(dir, "token")
	if err := os.WriteFile(private, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	public := filepath.Join(dir, "public-token")
	if err := os.WriteFile(public, []byte("tok"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(public, 0o644); err != nil {
		t.Fatal(err)
	}
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "SKRANKE_TOKEN" {
				return v
			}
			return ""
		}
	}
	for _, tc := range []struct {
		name, file, env, want, err string
	}{
		{name: "file", file: private, env: "from-env", want: "from-file"},
		{name: "environment", env: " from-env\n", want: "from-env"},
		{name: "neither keeps the config file's", want: ""},
		{name: "file others can read", file: public, err: "other users"},
		{name: "missing file", file: filepath.Join(dir, "nope"), err: "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := deskToken(tc.file, env(tc.env))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one saying %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("deskToken = %q, %v; want %q", got, err, tc.want)
			}
		})
	}

	var stderr bytes.Buffer
	if _, err := parseFlags("skranke", []string{"-token", "secret"}, &stderr, true); err == nil {
		t.Fatal("-token is accepted: the secret would be on the command line")
	}
}
