// Package locale clears locale variables that name no language (C, POSIX,
// C.UTF-8, as on servers, in containers and in CI) before any other package
// of the desk starts.
//
// Fyne reads the system locale while its lang package is initialised, before
// main runs, and logs an error at every start when the locale names no
// language. Unset, it falls back to English, which is what such a locale
// means. Go initialises packages in import-path order among those whose
// imports are ready; this package imports only os and strings, so it is
// ready before golang.org/x/text/language, which fyne's lang waits for, and
// its path sorts before that one: its init always runs first. main imports
// it for that effect alone.
package locale

import (
	"os"
	"strings"
)

func init() { Clear() }

// Clear unsets LC_ALL, LC_MESSAGES, LANG and LANGUAGE where they name no
// language, in the order the C library reads them: the first one that names
// a language decides, and the rest are left alone.
func Clear() {
	for _, k := range []string{"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"} {
		v := os.Getenv(k)
		if v == "" {
			continue
		}
		if !Languageless(v) {
			return
		}
		os.Unsetenv(k)
	}
}

// Languageless reports whether a locale value such as "C.UTF-8" or
// "POSIX" names no language.
func Languageless(v string) bool {
	base, _, _ := strings.Cut(v, ".")
	base, _, _ = strings.Cut(base, "@")
	return base == "C" || base == "POSIX"
}
