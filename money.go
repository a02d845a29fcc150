package skranke

import (
	"strconv"
	"strings"
)

// Money is an amount in øre (1/100 of a Norwegian krone). Amounts are integers
// everywhere in Skranke so that sums never drift.
type Money int64

// String formats m the way Norwegian receipts do: "kr 1 234,50", with a
// non-breaking-free plain space as the thousands separator so that it prints
// on every code page, and a leading minus for negative amounts ("-kr 12,00").
func (m Money) String() string {
	neg := m < 0
	v := int64(m)
	if neg {
		v = -v
	}
	kr := strconv.FormatInt(v/100, 10)
	var b strings.Builder
	if neg {
		b.WriteString("-")
	}
	b.WriteString("kr ")
	for i, r := range kr {
		if i > 0 && (len(kr)-i)%3 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	b.WriteByte(',')
	ore := v % 100
	if ore < 10 {
		b.WriteByte('0')
	}
	b.WriteString(strconv.FormatInt(ore, 10))
	return b.String()
}

// ParseMoney reads an amount typed by staff: "1234", "1 234,50", "kr 99,9",
// "99.90". It returns an error of kind Invalid for anything else.
func ParseMoney(s string) (Money, error) {
	t := strings.TrimSpace(s)
	t = strings.TrimPrefix(strings.TrimPrefix(t, "kr"), "NOK")
	t = strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "").Replace(t)
	neg := strings.HasPrefix(t, "-")
	t = strings.TrimPrefix(t, "-")
	t = strings.Replace(t, ".", ",", 1)
	whole, frac, hasFrac := strings.Cut(t, ",")
	if whole == "" && !hasFrac {
		return 0, E("skranke.ParseMoney", Invalid, "not an amount: "+strconv.Quote(s))
	}
	if whole == "" {
		whole = "0"
	}
	kr, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || kr < 0 || kr > 1e12 {
		return 0, E("skranke.ParseMoney", Invalid, "not an amount: "+strconv.Quote(s))
	}
	var ore int64
	if hasFrac {
		switch len(frac) {
		case 1:
			frac += "0"
		case 2:
		default:
			return 0, E("skranke.ParseMoney", Invalid, "at most two decimals: "+strconv.Quote(s))
		}
		ore, err = strconv.ParseInt(frac, 10, 64)
		if err != nil || ore < 0 {
			return 0, E("skranke.ParseMoney", Invalid, "not an amount: "+strconv.Quote(s))
		}
	}
	m := Money(kr*100 + ore)
	if neg {
		m = -m
	}
	return m, nil
}
