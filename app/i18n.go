package app

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"github.com/skranke/skranke/assets"
)

// label returns the text of key in the staff's language, through fyne's
// lang package; its English text in labels.go is the fallback, used when no
// translation has the key. data, if given, fills the template ({{.Code}}).
func label(key string, data ...any) string {
	return lang.X(key, english[key], data...)
}

// m builds template data for label.
type m = map[string]any

// setLanguage loads Skranke's translations and makes code ("nb", "en", or
// empty for the system's language) the language of every string. fyne's lang
// picks the translation closest to the system locale and has no setter, so a
// chosen language is registered under the tags the system could match too.
func setLanguage(code string) string {
	sys := langSystem()
	files := map[string][]byte{}
	for _, l := range []string{"en", "nb"} {
		b, err := assets.Translations.ReadFile("translations/" + l + ".json")
		if err != nil {
			fyne.LogError("read translations "+l, err)
			continue
		}
		files[l] = b
	}
	choice := code
	if choice != "nb" && choice != "en" {
		choice = systemLanguage(sys)
	}
	data := files[choice]
	if data == nil {
		return choice
	}
	tags := []string{"en", "nb"}
	if sys != "" && sys != "en" && sys != "nb" {
		tags = append(tags, sys)
	}
	for _, t := range tags {
		if err := lang.AddTranslationsForLocale(data, fyne.Locale(t)); err != nil {
			fyne.LogError("add translations "+t, err)
		}
	}
	return choice
}

// Norwegian formats, used in both languages: the desk is in Norway.

func fmtDate(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.Local().Format("02.01.2006")
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.Local().Format("15:04")
}

func fmtDateTime(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.Local().Format("02.01.2006 15:04")
}

// parseDate reads dd.mm.yyyy (also d.m.yyyy and yyyy-mm-dd) as a local date.
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"02.01.2006", "2.1.2006", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not a date: %q", s)
}

// fmtAge says how old something is, for cached data: "2 min", "3 h 5 min".
func fmtAge(now, t time.Time) string {
	if t.IsZero() {
		return label("age.unknown")
	}
	d := now.Sub(t)
	if d < time.Minute {
		return label("age.now")
	}
	if d < time.Hour {
		return label("age.minutes", m{"N": int(d.Minutes())})
	}
	if d < 48*time.Hour {
		return label("age.hours", m{"H": int(d.Hours()), "M": int(d.Minutes()) % 60})
	}
	return label("age.days", m{"N": int(d.Hours() / 24)})
}

// langSystem returns the system's locale as fyne's lang matches it, such as
// "nb-NO" or "en": Fyne keeps the region (nb-NO stays nb-NO), so the
// language is read from it by systemLanguage.
func langSystem() string { return lang.SystemLocale().LanguageString() }

// systemLanguage maps a system locale, in any of the spellings systems use
// ("nb-NO" from fyne and Windows, "nb_NO.UTF-8" from LANG, "no", "nn-NO",
// "C"), to the desk's language: Norwegian (Bokmål, Nynorsk or plain "no")
// gives "nb", anything else English.
func systemLanguage(loc string) string {
	base := loc
	if i := strings.IndexAny(base, "-_.@"); i >= 0 {
		base = base[:i]
	}
	switch strings.ToLower(base) {
	case "nb", "no", "nn":
		return "nb"
	}
	return "en"
}
