package printer

import (
	"errors"
	"fmt"
)

// The QR encoder below covers what receipts need and no more: byte mode,
// versions 1–10, all four error correction levels. It serves the raster
// fallback on printers without GS ( k and the renderer's drawing of GS ( k.

// qrLevel is an error correction level.
type qrLevel uint8

const (
	qrL qrLevel = iota
	qrM
	qrQ
	qrH
)

// formatBits are the two bits the format information carries per level.
func (l qrLevel) formatBits() int { return [...]int{1, 0, 3, 2}[l] }

// qrBlocks is one row of the error correction table: EC codewords per block,
// then blocks and data codewords per block of the two groups.
type qrBlocks struct{ ec, b1, d1, b2, d2 int }

var qrTable = [11][4]qrBlocks{
	1:  {{7, 1, 19, 0, 0}, {10, 1, 16, 0, 0}, {13, 1, 13, 0, 0}, {17, 1, 9, 0, 0}},
	2:  {{10, 1, 34, 0, 0}, {16, 1, 28, 0, 0}, {22, 1, 22, 0, 0}, {28, 1, 16, 0, 0}},
	3:  {{15, 1, 55, 0, 0}, {26, 1, 44, 0, 0}, {18, 2, 17, 0, 0}, {22, 2, 13, 0, 0}},
	4:  {{20, 1, 80, 0, 0}, {18, 2, 32, 0, 0}, {26, 2, 24, 0, 0}, {16, 4, 9, 0, 0}},
	5:  {{26, 1, 108, 0, 0}, {24, 2, 43, 0, 0}, {18, 2, 15, 2, 16}, {22, 2, 11, 2, 12}},
	6:  {{18, 2, 68, 0, 0}, {16, 4, 27, 0, 0}, {24, 4, 19, 0, 0}, {28, 4, 15, 0, 0}},
	7:  {{20, 2, 78, 0, 0}, {18, 4, 31, 0, 0}, {18, 2, 14, 4, 15}, {26, 4, 13, 1, 14}},
	8:  {{24, 2, 97, 0, 0}, {22, 2, 38, 2, 39}, {22, 4, 18, 2, 19}, {26, 4, 14, 2, 15}},
	9:  {{30, 2, 116, 0, 0}, {22, 3, 36, 2, 37}, {20, 4, 16, 4, 17}, {24, 4, 12, 4, 13}},
	10: {{18, 2, 68, 2, 69}, {26, 4, 43, 1, 44}, {24, 6, 19, 2, 20}, {28, 6, 15, 2, 16}},
}

var qrAlign = [11][]int{2: {6, 18}, 3: {6, 22}, 4: {6, 26}, 5: {6, 30}, 6: {6, 34}, 7: {6, 22, 38}, 8: {6, 24, 42}, 9: {6, 26, 46}, 10: {6, 28, 50}}

func (b qrBlocks) dataCodewords() int { return b.b1*b.d1 + b.b2*b.d2 }

// errQRTooLong reports data beyond what version 10 holds.
var errQRTooLong = errors.New("qr: data too long")

// qrCode is an encoded symbol; dark reports a module by column x and row y.
type qrCode struct {
	size    int
	version int
	mod     []bool
	fn      []bool
}

func (q *qrCode) dark(x, y int) bool { return q.mod[y*q.size+x] }

// qrEncode encodes data in byte mode at the smallest version that holds it.
func qrEncode(data []byte, level qrLevel) (*qrCode, error) {
	version := 0
	for v := 1; v <= 10; v++ {
		cc := 8
		if v >= 10 {
			cc = 16
		}
		if 4+cc+8*len(data) <= qrTable[v][level].dataCodewords()*8 {
			version = v
			break
		}
	}
	if version == 0 {
		return nil, fmt.Errorf("%w: %d bytes", errQRTooLong, len(data))
	}
	blocks := qrTable[version][level]
	capacity := blocks.dataCodewords()

	// Bit stream: mode, count, data, terminator, padding.
	var bits []bool
	put := func(v, n int) {
		for i := n - 1; i >= 0; i-- {
			bits = append(bits, (v>>i)&1 == 1)
		}
	}
	put(4, 4)
	if version >= 10 {
		put(len(data), 16)
	} else {
		put(len(data), 8)
	}
	for _, b := range data {
		put(int(b), 8)
	}
	for i := 0; i < 4 && len(bits) < capacity*8; i++ {
		bits = append(bits, false)
	}
	for len(bits)%8 != 0 {
		bits = append(bits, false)
	}
	cw := make([]byte, 0, capacity)
	for i := 0; i < len(bits); i += 8 {
		var b byte
		for k := 0; k < 8; k++ {
			if bits[i+k] {
				b |= 1 << (7 - k)
			}
		}
		cw = append(cw, b)
	}
	for pad := byte(0xEC); len(cw) < capacity; pad ^= 0xEC ^ 0x11 {
		cw = append(cw, pad)
	}

	// Split into blocks, add error correction, interleave.
	div := rsDivisor(blocks.ec)
	var dataBlocks, ecBlocks [][]byte
	off := 0
	for g := 0; g < 2; g++ {
		n, d := blocks.b1, blocks.d1
		if g == 1 {
			n, d = blocks.b2, blocks.d2
		}
		for i := 0; i < n; i++ {
			blk := cw[off : off+d]
			off += d
			dataBlocks = append(dataBlocks, blk)
			ecBlocks = append(ecBlocks, rsRemainder(blk, div))
		}
	}
	var stream []byte
	for i := 0; i < blocks.d1+1; i++ {
		for _, blk := range dataBlocks {
			if i < len(blk) {
				stream = append(stream, blk[i])
			}
		}
	}
	for i := 0; i < blocks.ec; i++ {
		for _, blk := range ecBlocks {
			stream = append(stream, blk[i])
		}
	}

	q := &qrCode{size: 17 + 4*version, version: version}
	q.mod = make([]bool, q.size*q.size)
	q.fn = make([]bool, q.size*q.size)
	q.drawFunctionPatterns()
	q.drawCodewords(stream)

	best, bestScore := 0, -1
	for m := 0; m < 8; m++ {
		q.applyMask(m)
		q.drawFormat(level, m)
		if s := q.penalty(); bestScore < 0 || s < bestScore {
			best, bestScore = m, s
		}
		q.applyMask(m) // XOR undoes it
	}
	q.applyMask(best)
	q.drawFormat(level, best)
	return q, nil
}

func (q *qrCode) set(x, y int, dark bool) {
	q.mod[y*q.size+x] = dark
	q.fn[y*q.size+x] = true
}

func (q *qrCode) drawFunctionPatterns() {
	n := q.size
	for i := 0; i < n; i++ {
		q.set(6, i, i%2 == 0)
		q.set(i, 6, i%2 == 0)
	}
	for _, c := range [][2]int{{3, 3}, {n - 4, 3}, {3, n - 4}} {
		for dy := -4; dy <= 4; dy++ {
			for dx := -4; dx <= 4; dx++ {
				x, y := c[0]+dx, c[1]+dy
				if x < 0 || y < 0 || x >= n || y >= n {
					continue
				}
				d := max(abs(dx), abs(dy))
				q.set(x, y, d != 2 && d != 4)
			}
		}
	}
	pos := qrAlign[q.version]
	for i, ay := range pos {
		for j, ax := range pos {
			last := len(pos) - 1
			if (i == 0 && j == 0) || (i == 0 && j == last) || (i == last && j == 0) {
				continue
			}
			for dy := -2; dy <= 2; dy++ {
				for dx := -2; dx <= 2; dx++ {
					q.set(ax+dx, ay+dy, max(abs(dx), abs(dy)) != 1)
				}
			}
		}
	}
	// Reserve the format areas; drawFormat fills them.
	q.drawFormat(qrM, 0)
	if q.version >= 7 {
		rem := q.version
		for i := 0; i < 12; i++ {
			rem = (rem << 1) ^ ((rem >> 11) * 0x1F25)
		}
		bits := q.version<<12 | rem
		for i := 0; i < 18; i++ {
			dark := (bits>>i)&1 == 1
			a, b := n-11+i%3, i/3
			q.set(a, b, dark)
			q.set(b, a, dark)
		}
	}
}

func (q *qrCode) drawFormat(level qrLevel, mask int) {
	data := level.formatBits()<<3 | mask
	rem := data
	for i := 0; i < 10; i++ {
		rem = (rem << 1) ^ ((rem >> 9) * 0x537)
	}
	bits := (data<<10 | rem) ^ 0x5412
	bit := func(i int) bool { return (bits>>i)&1 == 1 }
	n := q.size
	for i := 0; i <= 5; i++ {
		q.set(8, i, bit(i))
	}
	q.set(8, 7, bit(6))
	q.set(8, 8, bit(7))
	q.set(7, 8, bit(8))
	for i := 9; i < 15; i++ {
		q.set(14-i, 8, bit(i))
	}
	for i := 0; i < 8; i++ {
		q.set(n-1-i, 8, bit(i))
	}
	for i := 8; i < 15; i++ {
		q.set(8, n-15+i, bit(i))
	}
	q.set(8, n-8, true)
}

func (q *qrCode) drawCodewords(data []byte) {
	n := q.size
	i := 0
	for right := n - 1; right >= 1; right -= 2 {
		if right == 6 {
			right = 5
		}
		for vert := 0; vert < n; vert++ {
			for j := 0; j < 2; j++ {
				x := right - j
				y := vert
				if (right+1)&2 == 0 {
					y = n - 1 - vert
				}
				if q.fn[y*n+x] {
					continue
				}
				if i < len(data)*8 {
					q.mod[y*n+x] = (data[i>>3]>>(7-i&7))&1 == 1
					i++
				}
			}
		}
	}
}

func (q *qrCode) applyMask(m int) {
	n := q.size
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			if q.fn[y*n+x] {
				continue
			}
			var inv bool
			switch m {
			case 0:
				inv = (x+y)%2 == 0
			case 1:
				inv = y%2 == 0
			case 2:
				inv = x%3 == 0
			case 3:
				inv = (x+y)%3 == 0
			case 4:
				inv = (x/3+y/2)%2 == 0
			case 5:
				inv = x*y%2+x*y%3 == 0
			case 6:
				inv = (x*y%2+x*y%3)%2 == 0
			case 7:
				inv = ((x+y)%2+x*y%3)%2 == 0
			}
			if inv {
				q.mod[y*n+x] = !q.mod[y*n+x]
			}
		}
	}
}

// penalty scores a masked symbol by the rules of ISO/IEC 18004 §7.8.3.
func (q *qrCode) penalty() int {
	n := q.size
	score := 0
	line := func(get func(i int) bool) {
		run := 1
		for i := 1; i <= n; i++ {
			if i < n && get(i) == get(i-1) {
				run++
				continue
			}
			if run >= 5 {
				score += 3 + run - 5
			}
			run = 1
		}
		// Finder-like 1:1:3:1:1 with four light modules on either side.
		for i := 0; i+11 <= n; i++ {
			a := [11]bool{}
			for k := range a {
				a[k] = get(i + k)
			}
			p1 := [11]bool{true, false, true, true, true, false, true, false, false, false, false}
			p2 := [11]bool{false, false, false, false, true, false, true, true, true, false, true}
			if a == p1 || a == p2 {
				score += 40
			}
		}
	}
	dark := 0
	for y := 0; y < n; y++ {
		line(func(i int) bool { return q.dark(i, y) })
		line(func(i int) bool { return q.dark(y, i) })
		for x := 0; x < n; x++ {
			if q.dark(x, y) {
				dark++
			}
			if x+1 < n && y+1 < n {
				c := q.dark(x, y)
				if q.dark(x+1, y) == c && q.dark(x, y+1) == c && q.dark(x+1, y+1) == c {
					score += 3
				}
			}
		}
	}
	pct := dark * 100 / (n * n)
	score += abs(pct-50) / 5 * 10
	return score
}

func gfMul(a, b byte) byte {
	var r byte
	for b > 0 {
		if b&1 == 1 {
			r ^= a
		}
		hi := a & 0x80
		a <<= 1
		if hi != 0 {
			a ^= 0x1D
		}
		b >>= 1
	}
	return r
}

func rsDivisor(degree int) []byte {
	res := make([]byte, degree)
	res[degree-1] = 1
	root := byte(1)
	for i := 0; i < degree; i++ {
		for j := range res {
			res[j] = gfMul(res[j], root)
			if j+1 < len(res) {
				res[j] ^= res[j+1]
			}
		}
		root = gfMul(root, 2)
	}
	return res
}

func rsRemainder(data, div []byte) []byte {
	res := make([]byte, len(div))
	for _, b := range data {
		f := b ^ res[0]
		copy(res, res[1:])
		res[len(res)-1] = 0
		for i, c := range div {
			res[i] ^= gfMul(c, f)
		}
	}
	return res
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
