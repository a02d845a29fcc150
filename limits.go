package skranke

import "math"

// MaxSignatureSize is the largest signature PNG, in bytes, the shop accepts
// and the desk sends.
const MaxSignatureSize = 256 << 10

// The largest signature image, in pixels, the shop accepts: room for the
// desk's 576-dot-wide pad and then some.
const (
	MaxSignatureWidth  = 2048
	MaxSignatureHeight = 1024
)

// MaxSignaturesPerDay is how many signatures one desk may store in a day:
// far above a busy desk's hand-overs, far below what fills a disk.
const MaxSignaturesPerDay = 2000

// Upper bounds on what a purchase, a delivery, a credit or a redemption may
// hold. They are far above any gym's sale and far below where int64
// arithmetic overflows, so that sums and products of values within them can
// be checked once and trusted.
const (
	// MaxQuantity is the most units one purchase line may hold, and the
	// most one delivery may hand over of a line.
	MaxQuantity = 10_000
	// MaxAmount is the largest amount (10 000 000 kr) of a line, a
	// purchase, a credit, a redemption or a gift card.
	MaxAmount Money = 10_000_000_00
	// MaxLines is the most lines a purchase or a delivery may have.
	MaxLines = 200
)

// Upper bounds, in characters, on a buyer's fields as the web shop sends
// them: far above any real name, address (RFC 5321's 254) or phone number
// (15 digits and some punctuation), and low enough that what the shop
// stores and indexes for a purchase stays small whatever a customer types.
const (
	MaxBuyerName  = 200
	MaxBuyerEmail = 254
	MaxBuyerPhone = 32
)

// AddMoney returns a+b and whether the sum did not overflow int64.
func AddMoney(a, b Money) (Money, bool) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, false
	}
	return s, true
}

// MulMoney returns m×n and whether the product did not overflow int64.
func MulMoney(m Money, n int64) (Money, bool) {
	if m == 0 || n == 0 {
		return 0, true
	}
	if (m == -1 && n == math.MinInt64) || (n == -1 && m == math.MinInt64) {
		return 0, false
	}
	p := m * Money(n)
	if p/Money(n) != m {
		return 0, false
	}
	return p, true
}

// AddInt returns a+b and whether the sum did not overflow int.
func AddInt(a, b int) (int, bool) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, false
	}
	return s, true
}
