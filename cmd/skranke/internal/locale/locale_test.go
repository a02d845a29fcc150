package locale_test

import (
	"os"
	"testing"

	"github.com/skranke/skranke/cmd/skranke/internal/locale"
)

func TestClear(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want map[string]string // What is left set afterwards.
	}{
		{"C", map[string]string{"LANG": "C"}, map[string]string{}},
		{"C.UTF-8", map[string]string{"LANG": "C.UTF-8"}, map[string]string{}},
		{"POSIX in LC_ALL", map[string]string{"LC_ALL": "POSIX", "LANG": "C.utf8"}, map[string]string{}},
		{"Norwegian stays", map[string]string{"LANG": "nb_NO.UTF-8"}, map[string]string{"LANG": "nb_NO.UTF-8"}},
		{"LC_ALL decides first", map[string]string{"LC_ALL": "en_GB.UTF-8", "LANG": "C"}, map[string]string{"LC_ALL": "en_GB.UTF-8", "LANG": "C"}},
		{"C over a language", map[string]string{"LC_ALL": "C.UTF-8", "LANG": "nb_NO.UTF-8"}, map[string]string{"LANG": "nb_NO.UTF-8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"} {
				t.Setenv(k, tt.env[k])
				if tt.env[k] == "" {
					os.Unsetenv(k)
				}
			}
			locale.Clear()
			for _, k := range []string{"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"} {
				if got := os.Getenv(k); got != tt.want[k] {
					t.Errorf("%s = %q, want %q", k, got, tt.want[k])
				}
			}
		})
	}
}
