package printer_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/skranke/skranke/printer"
)

func TestProfilesShipped(t *testing.T) {
	want := []string{"epson-tm-t20iii", "epson-tm-t88v", "epson-tm-m30iii", "star-tsp650ii", "bixolon-srp-350plusiii", "generic-58", "generic-80"}
	seen := map[string]bool{}
	for _, p := range printer.Profiles() {
		if seen[p.ID] {
			t.Errorf("profile %q listed twice", p.ID)
		}
		seen[p.ID] = true
		if err := p.Validate(); err != nil {
			t.Error(err)
		}
		if p.Name == "" || p.WidthDots == 0 || p.ColumnsA == 0 || p.ColumnsB == 0 {
			t.Errorf("profile %q is incomplete: %+v", p.ID, p)
		}
		if p.CellA()*p.ColumnsA > p.WidthDots || p.CellB()*p.ColumnsB > p.WidthDots {
			t.Errorf("%s: columns do not fit %d dots", p.ID, p.WidthDots)
		}
		pages := map[byte]bool{}
		for _, cp := range p.CodePages {
			if !printer.KnownCodePage(cp.Name) {
				t.Errorf("%s: ESC t %d selects %s, which the encoder has no table for", p.ID, cp.N, cp.Name)
			}
			if pages[cp.N] {
				t.Errorf("%s: ESC t %d listed twice", p.ID, cp.N)
			}
			pages[cp.N] = true
		}
	}
	for _, id := range want {
		if _, ok := printer.ProfileByID(id); !ok {
			t.Errorf("profile %q not shipped", id)
		}
	}
	if _, ok := printer.ProfileByID("nope"); ok {
		t.Error("ProfileByID found an unknown id")
	}
	bad := MustProfile(t, "generic-80")
	bad.CodePages = append(bad.CodePages, printer.CodePage{N: 99, Name: "CP999"})
	if bad.Validate() == nil {
		t.Error("unknown code page accepted")
	}
	if _, err := printer.Encode(printer.NewDocument().Feed(1), printer.Profile{ID: "empty"}); err == nil {
		t.Error("encoded for an empty profile")
	}
}

type dbProfile struct {
	Name      string            `json:"name"`
	Notes     string            `json:"notes"`
	CodePages map[string]string `json:"codePages"`
	Features  map[string]bool   `json:"features"`
	Fonts     map[string]struct {
		Name    string `json:"name"`
		Columns int    `json:"columns"`
	} `json:"fonts"`
	Media struct {
		Width struct {
			Pixels any `json:"pixels"`
		} `json:"width"`
	} `json:"media"`
}

// TestProfilesAgainstPrinterDB checks the hand-written profiles against the
// community escpos-printer-db wherever it lists the model.
func TestProfilesAgainstPrinterDB(t *testing.T) {
	path := printerDB(t)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("escpos-printer-db not available at %s (%v); profiles not cross-checked", path, err)
	}
	var db struct {
		Profiles map[string]dbProfile `json:"profiles"`
	}
	if err := json.Unmarshal(raw, &db); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	// Which database entries describe each shipped profile.
	models := map[string][]string{
		"epson-tm-t20iii":        {"TM-T20III"},
		"epson-tm-t88v":          {"TM-T88V"},
		"epson-tm-m30iii":        {"TM-m30III"},
		"star-tsp650ii":          {"TSP600"},
		"generic-58":             {"POS-5890", "ZJ-5870"},
		"generic-80":             {"default"},
		"bixolon-srp-350plusiii": nil, // not in the database
	}
	// Where we knowingly differ, and why.
	deviations := map[string]string{
		// The TSP650II prints 48/64 columns on 72 mm at 203 dpi in ESC/POS
		// mode (Star's spec sheet); the database's TSP600 entry says 42/56.
		"star-tsp650ii/columns": "TSP650II spec: 48 columns of 12×24 on 576 dots",
	}
	for _, p := range printer.Profiles() {
		// A profile cancels Chinese mode only for models the database
		// says have it.
		if p.ChineseMode {
			has := false
			for _, key := range models[p.ID] {
				has = has || dbChineseMode(db.Profiles[key])
			}
			if !has {
				t.Errorf("%s: sends FS . but no database entry it maps to has a Chinese mode", p.ID)
			}
		}
		keys, ok := models[p.ID]
		if !ok {
			t.Errorf("%s: no database mapping declared", p.ID)
			continue
		}
		if len(keys) == 0 {
			t.Logf("%s: not in escpos-printer-db; checked by hand only", p.ID)
		}
		for _, key := range keys {
			d, ok := db.Profiles[key]
			if !ok {
				t.Errorf("%s: database has no %q", p.ID, key)
				continue
			}
			t.Run(p.ID+"/"+key, func(t *testing.T) {
				px, err := strconv.Atoi(fmt.Sprint(d.Media.Width.Pixels))
				if err == nil && px != p.WidthDots {
					t.Errorf("width %d dots, database says %d", p.WidthDots, px)
				}
				// Columns only mean something against a known width.
				if _, ok := deviations[p.ID+"/columns"]; !ok && err == nil {
					if f, ok := d.Fonts["0"]; ok && f.Columns != p.ColumnsA {
						t.Errorf("font A %d columns, database says %d", p.ColumnsA, f.Columns)
					}
					if f, ok := d.Fonts["1"]; ok && f.Columns != p.ColumnsB {
						t.Errorf("font B %d columns, database says %d", p.ColumnsB, f.Columns)
					}
				}
				for _, cp := range p.CodePages {
					got, ok := d.CodePages[strconv.Itoa(int(cp.N))]
					if !ok || got != cp.Name {
						t.Errorf("ESC t %d selects %s here, database says %q", cp.N, cp.Name, got)
					}
				}
				feature := func(name string, ours bool, key string) {
					if ours && !d.Features[key] {
						t.Errorf("profile uses %s, database says %s is unsupported", name, key)
					}
				}
				feature("GS k", p.Barcode, "barcodeB")
				feature("GS ( k", p.QR, "qrCode")
				feature("GS ( L", p.Raster == printer.RasterGSL, "graphics")
				feature("GS v 0", p.Raster == printer.RasterGSv0, "bitImageRaster")
				feature("full cut", p.FullCut, "paperFullCut")
				feature("partial cut", p.PartialCut, "paperPartCut")
				feature("drawer", p.Drawer, "pulseStandard")
				// What the database says the model lacks, we must not use.
				if !d.Features["barcodeB"] && p.Barcode {
					t.Error("GS k used on a model without it")
				}
				if dbChineseMode(d) && !p.ChineseMode {
					t.Error("database lists a Chinese (Kanji) mode; the profile does not cancel it with FS .")
				}
			})
		}
	}
}

// dbChineseMode reports whether a database entry describes a printer with
// a Chinese (Kanji) character mode: a Kanji or Chinese font, or notes on
// its Chinese character mode (the ZJ-5870 class switches by a button).
func dbChineseMode(d dbProfile) bool {
	for _, f := range d.Fonts {
		n := strings.ToLower(f.Name)
		if strings.Contains(n, "kanji") || strings.Contains(n, "chinese") {
			return true
		}
	}
	return strings.Contains(strings.ToLower(d.Notes), "chinese character mode")
}

// printerDB returns where the shared escpos-printer-db lies: in shared/
// beside the clone (../shared from the module root, as in CI), or beside
// a directory further up, which is where a git worktree of the clone finds
// it. The database is never copied into the repository.
func printerDB(tb testing.TB) string {
	tb.Helper()
	rel := filepath.Join("shared", "escpos-printer-db", "capabilities.json")
	first := filepath.Join(moduleRoot(tb), "..", rel)
	for dir := filepath.Dir(moduleRoot(tb)); ; dir = filepath.Dir(dir) {
		if p := filepath.Join(dir, rel); fileExists(p) {
			return p
		}
		if filepath.Dir(dir) == dir {
			return first
		}
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
