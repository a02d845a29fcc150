package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/template"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke/app/config"
	"github.com/skranke/skranke/assets"
)

func TestNorwegian(t *testing.T) {
	f := mustOpen(t, func(c *config.Config) { c.Language = "nb" })
	assert.Contains(t, f.d.login.Submit.Text, "Logg inn")
	f.login("kari", "1234")
	assert.Contains(t, f.d.scan.State.Text, "Klar")
	f.scan(f.shop.Code("pending"))
	assert.Contains(t, f.d.scan.State.Text, "IKKE BETALT")
	f.scan(f.shop.Code("paid-course"))
	assert.Contains(t, f.d.scan.State.Text, "KLAR TIL UTLEVERING")
	p := f.shop.Purchase(f.shop.Code("paid-course"))
	assert.Contains(t, f.d.scan.Buyer.Text, p.Total().String(), "money as kr 1 234,50")
	assert.Contains(t, f.d.scan.Buyer.Text, p.CreatedAt.Local().Format("02.01.2006 15:04"), "dates as dd.mm.yyyy, 24 h")
	f.key(fyne.KeyReturn)
	test.Tap(f.d.scan.Reprint)
	f.idle()
	f.eventually(func() bool { return strings.Contains(string(f.printed()), "KOPI") }, "a Norwegian reprint is marked KOPI")
}

func TestTranslationsComplete(t *testing.T) {
	read := func(name string) map[string]string {
		b, err := assets.Translations.ReadFile("translations/" + name)
		require.NoError(t, err)
		var m map[string]string
		require.NoError(t, json.Unmarshal(b, &m))
		return m
	}
	en, nb := read("en.json"), read("nb.json")
	require.NotEmpty(t, en)
	field := regexp.MustCompile(`{{\s*\.\w+\s*}}`)
	fields := func(msg string) []string {
		fs := field.FindAllString(msg, -1)
		slices.Sort(fs)
		return slices.Compact(fs)
	}
	for k, v := range en {
		assert.NotEmpty(t, v, "en %s", k)
		assert.NotEmpty(t, nb[k], "nb.json lacks %s", k)
		// The same template fields in both languages.
		assert.Equal(t, fields(v), fields(nb[k]), "%s: template fields", k)
	}
	for k := range nb {
		assert.Contains(t, en, k, "en.json lacks %s", k)
	}
	for name, msgs := range map[string]map[string]string{"en": en, "nb": nb} {
		for k, v := range msgs {
			_, err := template.New(k).Parse(v)
			assert.NoError(t, err, "%s %s", name, k)
		}
	}
}

// TestEveryStringTranslated checks that en.json has every label with the
// same English text as labels.go, that every label("key") call in the
// package's source names a label there, and that texts still given with
// their fallback at the call site (tr("key", "English")) are in en.json
// too, so that no string shows its fallback or its bare key only.
func TestEveryStringTranslated(t *testing.T) {
	b, err := assets.Translations.ReadFile("translations/en.json")
	require.NoError(t, err)
	var en map[string]string
	require.NoError(t, json.Unmarshal(b, &en))
	for key, text := range english {
		assert.Equal(t, text, en[key], "labels.go: key %s", key)
	}
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	labelCall := regexp.MustCompile(`\blabel\(\s*"([^"]+)"`)
	trCall := regexp.MustCompile(`\btr\(\s*"([^"]+)"\s*,\s*"((?:[^"\\]|\\.)*)"`)
	n := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		require.NoError(t, err)
		for _, m := range labelCall.FindAllStringSubmatch(string(src), -1) {
			n++
			_, ok := english[m[1]]
			assert.True(t, ok, "%s: label %s is not in labels.go", name, m[1])
		}
		for _, m := range trCall.FindAllStringSubmatch(string(src), -1) {
			n++
			want, err := strconv.Unquote(`"` + m[2] + `"`)
			require.NoError(t, err)
			assert.Equal(t, want, en[m[1]], "%s: key %s", name, m[1])
		}
	}
	assert.Greater(t, n, 200)
}
