package scanner

// Symbology names, as Scan.Symbology shows them.
const (
	SymCode39     = "Code 39"
	SymCode128    = "Code 128"
	SymGS1_128    = "GS1-128"
	SymDataMatrix = "Data Matrix"
	SymEAN13      = "EAN-13"
	SymEAN8       = "EAN-8"
	SymUPCA       = "UPC-A"
	SymUPCE       = "UPC-E"
	SymEANUPC     = "EAN/UPC"
	SymDataBar    = "GS1 DataBar"
	SymCodabar    = "Codabar"
	SymCode93     = "Code 93"
	SymITF        = "Interleaved 2 of 5"
	SymPDF417     = "PDF417"
	SymQR         = "QR Code"
	SymAztec      = "Aztec"
	SymMaxiCode   = "MaxiCode"
	SymOther      = "Other"
)

// parseAIM reports whether s starts with an AIM symbology identifier
// ("]" + code character + modifier character, ISO/IEC 15424) and returns the
// symbology it names ("" if the code character is one Skranke does not name).
func parseAIM(s string) (sym string, ok bool) {
	if len(s) < 3 || s[0] != ']' {
		return "", false
	}
	c, m := s[1], s[2]
	if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') || !(m >= '0' && m <= '9' || m >= 'A' && m <= 'Z' || m >= 'a' && m <= 'z') {
		return "", false
	}
	return aimSymbology(c, m), true
}

// aimSymbology names the symbology of AIM code character c with modifier m.
func aimSymbology(c, m byte) string {
	switch c {
	case 'A':
		return SymCode39
	case 'C':
		if m == '1' {
			return SymGS1_128
		}
		return SymCode128
	case 'd':
		return SymDataMatrix
	case 'E':
		if m == '4' {
			return SymEAN8
		}
		return SymEANUPC
	case 'e':
		return SymDataBar
	case 'F':
		return SymCodabar
	case 'G':
		return SymCode93
	case 'I':
		return SymITF
	case 'L':
		return SymPDF417
	case 'Q':
		return SymQR
	case 'U':
		return SymMaxiCode
	case 'z':
		return SymAztec
	case 'X':
		return SymOther
	}
	return ""
}

// diaeresisBase undoes the dead key of Nordic layouts: a scanner set to US
// sends "]" for an AIM identifier, which a Nordic computer reads as the dead
// key "¨", composing it with a following vowel ("]E0" becomes "Ë0").
func diaeresisBase(r rune) (byte, bool) {
	switch r {
	case 'Ä':
		return 'A', true
	case 'Ë':
		return 'E', true
	case 'Ï':
		return 'I', true
	case 'Ö':
		return 'O', true
	case 'Ü':
		return 'U', true
	case 'ä':
		return 'a', true
	case 'ë':
		return 'e', true
	case 'ï':
		return 'i', true
	case 'ö':
		return 'o', true
	case 'ü':
		return 'u', true
	case 'ÿ':
		return 'y', true
	}
	return 0, false
}
