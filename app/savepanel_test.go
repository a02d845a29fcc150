package app

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeNew creates the file and its directory, leaves a file that is there
// already alone unless told to replace it, and then replaces it whole.
func TestSaveWriteNew(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "exports", "deeper", "a.csv")
	for _, tc := range []struct {
		name    string
		data    string
		replace bool
		wantErr error
		want    string
	}{
		{"new file in a new directory", "first", false, nil, "first"},
		{"there already: left alone", "second", false, fs.ErrExist, "first"},
		{"replace when told", "x", true, nil, "x"},
		{"replace a file with a longer one", "third, longer", true, nil, "third, longer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := writeNew(path, []byte(tc.data), tc.replace)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
			} else {
				require.NoError(t, err)
			}
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(b))
		})
	}
	// Replace also creates a file that is not there.
	other := filepath.Join(dir, "b.csv")
	require.NoError(t, writeNew(other, []byte("b"), true))
	assert.FileExists(t, other)
}

// A file that cannot be written for want of space (an export, the
// settings) fails in the staff's words in both languages, not with the
// system's English "no space left on device".
func TestFullDiskInStaffWords(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skipf("no /dev/full here: %v", err)
	}
	err := writeNew("/dev/full", []byte("date;time\n"), true) // Writes fail with ENOSPC.
	require.Error(t, err)
	t.Cleanup(func() { setLanguage("en") })
	for _, lang := range []string{"en", "nb"} {
		setLanguage(lang)
		assert.Equal(t, label("err.disk_full"), ioErrText(err), lang)
		assert.NotContains(t, ioErrText(err), "no space left", lang)
	}
}
