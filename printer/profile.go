// Package printer prints what the desk hands over on ESC/POS thermal printers.
//
// It holds a profile-independent document model, an encoder from documents to
// ESC/POS bytes for a given printer profile, the profiles of the printers the
// desk supports, transports (TCP, serial, the OS device file, the Windows
// spooler and a file), printer status, and a renderer that turns ESC/POS bytes
// back into an image for previews and tests.
package printer

import "fmt"

// Raster names the command a profile uses to print raster images.
type Raster uint8

const (
	// RasterGSv0 is GS v 0, the raster bit image command every ESC/POS printer knows.
	RasterGSv0 Raster = iota
	// RasterGSL is GS ( L, the graphics command of newer Epson printers.
	RasterGSL
)

// String returns the ESC/POS name of the command.
func (r Raster) String() string {
	if r == RasterGSL {
		return "GS ( L"
	}
	return "GS v 0"
}

// CodePage is one entry of a printer's ESC t table: the number n selects the
// named code page. Names follow the iconv spelling (CP437, CP1252, ISO_8859-2).
type CodePage struct {
	N    byte
	Name string
}

// Profile describes what one printer model can do. Profiles are written by
// hand from vendor documentation; the tests check them against the community
// escpos-printer-db where it lists the model.
type Profile struct {
	ID, Name string
	// Vendor is the maker, for display.
	Vendor string
	// WidthDots is the printable width in dots; ColumnsA and ColumnsB are the
	// characters per line in font A (12×24) and font B (9×17 or 10×24).
	WidthDots, ColumnsA, ColumnsB int
	// DPI is the print resolution.
	DPI int
	// PaperMM is the paper roll width.
	PaperMM int
	// Barcode reports support for GS k (Code128 and EAN-13).
	Barcode bool
	// QR reports support for GS ( k QR codes.
	QR bool
	// Raster is the image command to use.
	Raster Raster
	// RasterAlign reports that ESC a also places raster images. Where it
	// does not (many 58 mm clones), the encoder shifts images itself.
	RasterAlign bool
	// FullCut and PartialCut report the cutter's abilities; with neither the
	// paper is fed to the tear bar.
	FullCut, PartialCut bool
	// Drawer reports support for ESC p drawer pulses.
	Drawer bool
	// CodePages lists the ESC t table in order of preference: when a
	// character can go out in several pages, the earliest listed wins.
	CodePages []CodePage
	// BufferBytes is the receive buffer, used to pace serial output.
	BufferBytes int
	// MaxRasterRows is the tallest band one raster command may carry; small
	// printers get bands that fit their receive buffer.
	MaxRasterRows int
	// ChineseMode reports that the printer has a Chinese (Kanji) character
	// mode, chosen by a button at power-up on the cheap 58 mm class; in it,
	// bytes above 0x7f print as Chinese. The encoder sends FS . to leave it.
	ChineseMode bool
}

// CellA returns the width of a font A character cell in dots.
func (p Profile) CellA() int { return cellWidth(p.WidthDots, p.ColumnsA, 12) }

// CellB returns the width of a font B character cell in dots.
func (p Profile) CellB() int { return cellWidth(p.WidthDots, p.ColumnsB, 9) }

func cellWidth(width, cols, def int) int {
	if cols <= 0 || width <= 0 {
		return def
	}
	return width / cols
}

// Page returns the ESC t number that selects the named code page.
func (p Profile) Page(name string) (byte, bool) {
	for _, cp := range p.CodePages {
		if cp.Name == name {
			return cp.N, true
		}
	}
	return 0, false
}

// PageName returns the code page that ESC t n selects, or "" when n is not in
// the profile's table.
func (p Profile) PageName(n byte) string {
	for _, cp := range p.CodePages {
		if cp.N == n {
			return cp.Name
		}
	}
	return ""
}

// Epson numbers its ESC t table the same way across the TM range; the
// preference order puts the pages that cover most of what the desk prints
// (Nordic letters, euro sign, typographic quotes and dashes) first.
func epsonPages() []CodePage {
	return []CodePage{
		{16, "CP1252"}, {19, "CP858"}, {5, "CP865"}, {2, "CP850"},
		{45, "CP1250"}, {18, "CP852"}, {39, "ISO_8859-2"}, {40, "ISO_8859-15"},
		{0, "CP437"}, {3, "CP860"}, {4, "CP863"}, {17, "CP866"}, {46, "CP1251"},
		// Baltic: Lithuanian, Latvian and Estonian letters (ą č ė į š ų ū ž
		// ā ē ģ ī ķ ļ ņ) print as themselves, not stripped of their marks.
		{51, "CP1257"}, {33, "CP775"},
	}
}

// Profiles returns every shipped profile in a stable order.
func Profiles() []Profile {
	tmm30Pages := []CodePage{}
	for _, cp := range epsonPages() {
		// The TM-m30III table does not document page 19 as PC858.
		if cp.N != 19 {
			tmm30Pages = append(tmm30Pages, cp)
		}
	}
	return []Profile{
		{
			ID: "epson-tm-t20iii", Name: "Epson TM-T20III", Vendor: "Epson",
			WidthDots: 576, ColumnsA: 48, ColumnsB: 64, DPI: 203, PaperMM: 80,
			Barcode: true, QR: true, Raster: RasterGSL, RasterAlign: true, FullCut: true, PartialCut: true, Drawer: true,
			CodePages: epsonPages(), BufferBytes: 4096, MaxRasterRows: 1024,
		},
		{
			ID: "epson-tm-t88v", Name: "Epson TM-T88V", Vendor: "Epson",
			WidthDots: 512, ColumnsA: 42, ColumnsB: 56, DPI: 180, PaperMM: 80,
			Barcode: true, QR: true, Raster: RasterGSL, RasterAlign: true, FullCut: true, PartialCut: true, Drawer: true,
			CodePages: epsonPages(), BufferBytes: 4096, MaxRasterRows: 1024,
		},
		{
			ID: "epson-tm-m30iii", Name: "Epson TM-m30III", Vendor: "Epson",
			WidthDots: 576, ColumnsA: 48, ColumnsB: 57, DPI: 203, PaperMM: 80,
			Barcode: true, QR: true, Raster: RasterGSL, RasterAlign: true, FullCut: true, PartialCut: true, Drawer: true,
			CodePages: tmm30Pages, BufferBytes: 4096, MaxRasterRows: 1024,
		},
		{
			// In ESC/POS emulation the TSP650II keeps Star's own numbering of
			// code pages: 32 is Windows-1252 and 4 is PC858.
			ID: "star-tsp650ii", Name: "Star TSP650II (ESC/POS)", Vendor: "Star Micronics",
			WidthDots: 576, ColumnsA: 48, ColumnsB: 64, DPI: 203, PaperMM: 80,
			Barcode: true, QR: true, Raster: RasterGSv0, RasterAlign: true, FullCut: true, PartialCut: true, Drawer: true,
			CodePages: []CodePage{
				{32, "CP1252"}, {4, "CP858"}, {9, "CP865"}, {33, "CP1250"}, {5, "CP852"},
				{0, "CP437"}, {6, "CP860"}, {8, "CP863"}, {10, "CP866"}, {34, "CP1251"},
			},
			BufferBytes: 2048, MaxRasterRows: 256,
		},
		{
			ID: "bixolon-srp-350plusiii", Name: "Bixolon SRP-350plusIII", Vendor: "Bixolon",
			WidthDots: 512, ColumnsA: 42, ColumnsB: 56, DPI: 180, PaperMM: 80,
			Barcode: true, QR: true, Raster: RasterGSv0, RasterAlign: true, FullCut: false, PartialCut: true, Drawer: true,
			CodePages: []CodePage{
				{16, "CP1252"}, {19, "CP858"}, {5, "CP865"}, {2, "CP850"}, {18, "CP852"},
				{0, "CP437"}, {3, "CP860"}, {4, "CP863"}, {17, "CP866"},
			},
			BufferBytes: 4096, MaxRasterRows: 256,
		},
		{
			// The cheap 58 mm class (POS-5890, ZJ-5870 and their rebadges):
			// no GS k, no GS ( k, no cutter; raster images print fine.
			ID: "generic-58", Name: "Generic 58 mm (POS-5890/ZJ-5870)", Vendor: "Generic",
			WidthDots: 384, ColumnsA: 32, ColumnsB: 42, DPI: 203, PaperMM: 58,
			Barcode: false, QR: false, Raster: RasterGSv0, Drawer: true,
			CodePages: []CodePage{
				{16, "CP1252"}, {5, "CP865"}, {2, "CP850"}, {18, "CP852"}, {0, "CP437"},
			},
			BufferBytes: 1024, MaxRasterRows: 64, ChineseMode: true,
		},
		{
			ID: "generic-80", Name: "Generic 80 mm", Vendor: "Generic",
			WidthDots: 576, ColumnsA: 48, ColumnsB: 64, DPI: 203, PaperMM: 80,
			Barcode: true, QR: true, Raster: RasterGSv0, RasterAlign: true, FullCut: true, PartialCut: true, Drawer: true,
			CodePages: []CodePage{
				{16, "CP1252"}, {19, "CP858"}, {5, "CP865"}, {2, "CP850"},
				{45, "CP1250"}, {18, "CP852"}, {0, "CP437"}, {51, "CP1257"}, {33, "CP775"},
			},
			BufferBytes: 2048, MaxRasterRows: 256,
		},
	}
}

// validateOp names Profile.Validate in its errors.
const validateOp = "printer.Profile.Validate"

// Validate reports what is wrong with a profile made by hand (for a printer
// the desk does not ship a profile for): widths, columns and code pages.
func (p Profile) Validate() error {
	switch {
	case p.WidthDots < 96 || p.WidthDots > 2048:
		return E(validateOp, KindInvalid, fmt.Errorf("profile %q: width %d dots is not a receipt printer", p.ID, p.WidthDots))
	case p.ColumnsA <= 0 || p.CellA() < 8:
		return E(validateOp, KindInvalid, fmt.Errorf("profile %q: %d font A columns do not fit %d dots", p.ID, p.ColumnsA, p.WidthDots))
	case p.ColumnsB <= 0 || p.CellB() < 6:
		return E(validateOp, KindInvalid, fmt.Errorf("profile %q: %d font B columns do not fit %d dots", p.ID, p.ColumnsB, p.WidthDots))
	}
	seen := map[byte]bool{}
	for _, cp := range p.CodePages {
		if charmaps[cp.Name] == nil {
			return E(validateOp, KindInvalid, fmt.Errorf("profile %q: code page %q (ESC t %d) is unknown", p.ID, cp.Name, cp.N))
		}
		if seen[cp.N] {
			return E(validateOp, KindInvalid, fmt.Errorf("profile %q: ESC t %d listed twice", p.ID, cp.N))
		}
		seen[cp.N] = true
	}
	return nil
}

// ProfileByID returns the shipped profile with the given id.
func ProfileByID(id string) (Profile, bool) {
	for _, p := range Profiles() {
		if p.ID == id {
			return p, true
		}
	}
	return Profile{}, false
}
