package app

import (
	"os"
	"testing"

	"fyne.io/fyne/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke/app/config"
)

// The desk's language follows the system's in every spelling systems give
// it: Fyne and Windows report nb-NO, LANG holds nb_NO.UTF-8.
func TestSystemLanguage(t *testing.T) {
	for _, tt := range []struct{ loc, want string }{
		{"nb-NO", "nb"},
		{"nb_NO.UTF-8", "nb"},
		{"nb_NO.utf8@euro", "nb"},
		{"nb", "nb"},
		{"NB-no", "nb"},
		{"no", "nb"},
		{"no-NO", "nb"},
		{"nn-NO", "nb"},
		{"nn_NO.UTF-8", "nb"},
		{"en", "en"},
		{"en-GB", "en"},
		{"en_US.UTF-8", "en"},
		{"sv-SE", "en"},
		{"de", "en"},
		{"C", "en"},
		{"C.UTF-8", "en"},
		{"POSIX", "en"},
		{"", "en"},
		{"nbx-NO", "en"},
	} {
		if got := systemLanguage(tt.loc); got != tt.want {
			t.Errorf("systemLanguage(%q) = %q, want %q", tt.loc, got, tt.want)
		}
	}
}

// With no language in the settings, a Norwegian system gets the desk in
// Norwegian: the words shown and the language handed to the printouts.
func TestLanguageFollowsSystemLocale(t *testing.T) {
	for _, tt := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"LANG": "nb_NO.UTF-8"}, "nb"},
		{map[string]string{"LC_ALL": "nb_NO.UTF-8", "LANG": "nb_NO.UTF-8"}, "nb"},
		{map[string]string{"LANG": "nn_NO.UTF-8"}, "nb"},
		{map[string]string{"LANG": "no_NO.UTF-8"}, "nb"},
		{map[string]string{"LANG": "en_GB.UTF-8"}, "en"},
		{map[string]string{"LC_ALL": "en_US.UTF-8", "LANG": "nb_NO.UTF-8"}, "en"},
		{map[string]string{"LANGUAGE": "nb:en", "LANG": "en_US.UTF-8"}, "nb"},
	} {
		for _, k := range []string{"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"} {
			t.Setenv(k, tt.env[k])
			if tt.env[k] == "" {
				os.Unsetenv(k)
			}
		}
		if got := setLanguage(""); got != tt.want {
			t.Errorf("%v: the desk's language is %q, want %q", tt.env, got, tt.want)
		}
		if got := label("lang.code"); got != tt.want {
			t.Errorf("%v: the desk's words are in %q, want %q", tt.env, got, tt.want)
		}
		// A language chosen in the settings wins over the system's.
		for _, chosen := range []string{"nb", "en"} {
			if got := setLanguage(chosen); got != chosen || label("lang.code") != chosen {
				t.Errorf("%v: chose %s, got %q with words in %q", tt.env, chosen, got, label("lang.code"))
			}
		}
	}
	setLanguage("en")
}

// A desk whose settings name no language, on a Norwegian computer, shows
// its screens in Norwegian and prints its delivery notes in Norwegian.
func TestNorwegianSystemDeskPrintsNorwegian(t *testing.T) {
	for _, k := range []string{"LANGUAGE", "LC_ALL", "LC_MESSAGES"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("LANG", "nb_NO.UTF-8")
	t.Cleanup(func() { setLanguage("en") })
	f := mustOpen(t, func(c *config.Config) { c.Language = "" })
	f.login("kari", "1234")
	code := f.shop.Code("paid-course")
	f.scan(code)
	s := f.d.scan
	require.Equal(t, stateDeliverable, s.StateNow(), s.State.Text)
	f.key(fyne.KeyReturn)
	require.Equal(t, stateDelivered, s.StateNow(), "%q %q", s.State.Text, f.d.message.Text)
	assert.Equal(t, "UTLEVERT", s.State.Text)
	f.eventually(func() bool { return len(f.printed()) > 0 }, "no delivery note printed")
	text := printedText(t, f.printed())
	assert.Contains(t, text, "UTLEVERINGSBEVIS")
	assert.NotContains(t, text, "DELIVERY NOTE")
}
