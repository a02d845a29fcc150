package printer

import (
	"fmt"
	"strings"
)

// code128Patterns are the bar/space widths of the 107 Code 128 symbols.
var code128Patterns = [...]string{
	"212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212", "221213",
	"221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221", "223211", "221132",
	"221231", "213212", "223112", "312131", "311222", "321122", "321221", "312212", "322112", "322211",
	"212123", "212321", "232121", "111323", "131123", "131321", "112313", "132113", "132311", "211313",
	"231113", "231311", "112133", "112331", "132131", "113123", "113321", "133121", "313121", "211331",
	"231131", "213113", "213311", "213131", "311123", "311321", "331121", "312113", "312311", "332111",
	"314111", "221411", "431111", "111224", "111422", "121124", "121421", "141122", "141221", "112214",
	"112412", "122114", "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111",
	"111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
	"214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311", "113141",
	"114131", "311141", "411131", "211412", "211214", "211232", "2331112",
}

const (
	c128CodeC  = 99
	c128CodeB  = 100
	c128CodeA  = 101
	c128StartA = 103
	c128StartB = 104
	c128StartC = 105
	c128Stop   = 106
)

// code128Values chooses code sets for data (C for runs of four or more
// digits, B for text, A for control characters) and returns the symbol
// values from start character to check symbol, without the stop.
func code128Values(data string) ([]int, error) {
	if data == "" {
		return nil, fmt.Errorf("code128: empty data")
	}
	for i := 0; i < len(data); i++ {
		if data[i] > 127 {
			return nil, fmt.Errorf("code128: %q is not ASCII", data)
		}
	}
	digitRun := func(i int) int {
		n := 0
		for i+n < len(data) && data[i+n] >= '0' && data[i+n] <= '9' {
			n++
		}
		return n
	}
	var vals []int
	set := 0 // 'A', 'B', 'C'
	i := 0
	for i < len(data) {
		run := digitRun(i)
		// Code C pays off for 4+ digits (2+ at the very start or end in full).
		useC := run >= 4 || (run >= 2 && run%2 == 0 && (i == 0 && run == len(data)))
		if useC {
			if run%2 == 1 {
				if set == 0 {
					// Print the odd digit first in B, then switch to C.
					vals = append(vals, c128StartB)
					set = 'B'
					vals = append(vals, int(data[i])-32)
					i++
					run--
				} else if set != 'C' {
					vals = append(vals, valueIn(set, data[i]))
					i++
					run--
				}
			}
			if set == 0 {
				vals = append(vals, c128StartC)
			} else if set != 'C' {
				vals = append(vals, c128CodeC)
			}
			set = 'C'
			for run >= 2 {
				vals = append(vals, int(data[i]-'0')*10+int(data[i+1]-'0'))
				i += 2
				run -= 2
			}
			continue
		}
		c := data[i]
		want := 'B'
		if c < 32 {
			want = 'A'
		}
		if set != int(want) {
			switch {
			case set == 0 && want == 'A':
				vals = append(vals, c128StartA)
			case set == 0:
				vals = append(vals, c128StartB)
			case want == 'A':
				vals = append(vals, c128CodeA)
			default:
				vals = append(vals, c128CodeB)
			}
			set = int(want)
		}
		vals = append(vals, valueIn(set, c))
		i++
	}
	sum := vals[0]
	for k, v := range vals[1:] {
		sum += (k + 1) * v
	}
	return append(vals, sum%103), nil
}

func valueIn(set int, c byte) int {
	if set == 'A' && c < 32 {
		return int(c) + 64
	}
	return int(c) - 32
}

// code128Escpos returns the GS k 73 payload for data: code set selectors
// ({A {B {C) followed by the data, code C digits packed as one byte per pair.
func code128Escpos(data string) ([]byte, error) {
	vals, err := code128Values(data)
	if err != nil {
		return nil, err
	}
	var out []byte
	set := 0
	for _, v := range vals[:len(vals)-1] {
		switch {
		case set == 0:
			set = map[int]int{c128StartA: 'A', c128StartB: 'B', c128StartC: 'C'}[v]
			out = append(out, '{', byte(set))
		case set == 'C' && v < 100:
			out = append(out, byte(v))
		case set != 'C' && v == c128CodeC:
			out, set = append(out, '{', 'C'), 'C'
		case set != 'A' && v == c128CodeA:
			out, set = append(out, '{', 'A'), 'A'
		case set != 'B' && v == c128CodeB:
			out, set = append(out, '{', 'B'), 'B'
		case set == 'A' && v >= 64:
			out = append(out, byte(v-64))
		default:
			c := byte(v + 32)
			if c == '{' {
				out = append(out, '{', '{')
			} else {
				out = append(out, c)
			}
		}
	}
	return out, nil
}

// code128FromEscpos parses a GS k 73 payload back into the text it carries
// and the symbol values, as a printer does.
func code128FromEscpos(payload []byte) (string, []int, error) {
	var text strings.Builder
	var vals []int
	set := 0
	for i := 0; i < len(payload); i++ {
		c := payload[i]
		if c == '{' && i+1 < len(payload) {
			n := payload[i+1]
			i++
			switch n {
			case 'A', 'B', 'C':
				start := map[byte]int{'A': c128StartA, 'B': c128StartB, 'C': c128StartC}[n]
				sw := map[byte]int{'A': c128CodeA, 'B': c128CodeB, 'C': c128CodeC}[n]
				if set == 0 {
					vals = append(vals, start)
				} else {
					vals = append(vals, sw)
				}
				set = int(n)
				continue
			case '{':
				// A literal '{'.
			default:
				return "", nil, fmt.Errorf("code128: unsupported function {%c", n)
			}
		}
		if set == 0 {
			return "", nil, fmt.Errorf("code128: no code set selected")
		}
		switch set {
		case 'C':
			if c > 99 {
				return "", nil, fmt.Errorf("code128: code C value %d", c)
			}
			vals = append(vals, int(c))
			fmt.Fprintf(&text, "%02d", c)
		case 'A':
			if c >= 96 {
				return "", nil, fmt.Errorf("code128: %#02x is not in code set A", c)
			}
			vals = append(vals, valueIn('A', c))
			text.WriteByte(c)
		default:
			if c < 32 || c > 127 {
				return "", nil, fmt.Errorf("code128: %#02x is not in code set B", c)
			}
			vals = append(vals, int(c)-32)
			text.WriteByte(c)
		}
	}
	if len(vals) < 2 {
		return "", nil, fmt.Errorf("code128: no data")
	}
	sum := vals[0]
	for k, v := range vals[1:] {
		sum += (k + 1) * v
	}
	return text.String(), append(vals, sum%103), nil
}

// code128Modules returns the bar pattern (true = black) of symbol values,
// without quiet zones.
func code128Modules(vals []int) []bool {
	var m []bool
	add := func(p string) {
		for k, w := range p {
			for j := 0; j < int(w-'0'); j++ {
				m = append(m, k%2 == 0)
			}
		}
	}
	for _, v := range vals {
		add(code128Patterns[v])
	}
	add(code128Patterns[c128Stop])
	return m
}

var (
	eanL = [10]string{"0001101", "0011001", "0010011", "0111101", "0100011", "0110001", "0101111", "0111011", "0110111", "0001011"}
	// eanParity gives, for the first digit, which of the next six use the G set.
	eanParity = [10]string{"LLLLLL", "LLGLGG", "LLGGLG", "LLGGGL", "LGLLGG", "LGGLLG", "LGGGLL", "LGLGLG", "LGLGGL", "LGGLGL"}
)

// EANCheck returns the check digit for the first 12 digits of an EAN-13.
func EANCheck(d12 string) byte {
	sum := 0
	for i := 0; i < 12; i++ {
		v := int(d12[i] - '0')
		if i%2 == 1 {
			v *= 3
		}
		sum += v
	}
	return byte('0' + (10-sum%10)%10)
}

func validEAN(data string) (string, error) {
	if len(data) != 12 && len(data) != 13 {
		return "", fmt.Errorf("ean13: %q must have 12 or 13 digits", data)
	}
	for i := 0; i < len(data); i++ {
		if data[i] < '0' || data[i] > '9' {
			return "", fmt.Errorf("ean13: %q must be digits", data)
		}
	}
	full := data[:12] + string(EANCheck(data[:12]))
	if len(data) == 13 && data != full {
		return "", fmt.Errorf("ean13: %q has a wrong check digit", data)
	}
	return full, nil
}

// ean13Modules returns the bar pattern of a 13-digit EAN.
func ean13Modules(d13 string) []bool {
	var s strings.Builder
	s.WriteString("101")
	par := eanParity[d13[0]-'0']
	for i := 1; i <= 6; i++ {
		l := eanL[d13[i]-'0']
		if par[i-1] == 'G' {
			// G is the mirror of R, and R the complement of L.
			for k := 6; k >= 0; k-- {
				if l[k] == '0' {
					s.WriteByte('1')
				} else {
					s.WriteByte('0')
				}
			}
		} else {
			s.WriteString(l)
		}
	}
	s.WriteString("01010")
	for i := 7; i <= 12; i++ {
		for _, c := range eanL[d13[i]-'0'] {
			if c == '0' {
				s.WriteByte('1')
			} else {
				s.WriteByte('0')
			}
		}
	}
	s.WriteString("101")
	m := make([]bool, s.Len())
	for i, c := range s.String() {
		m[i] = c == '1'
	}
	return m
}
