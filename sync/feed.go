package sync

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// feedPurchase is the part of a purchase in the changes feed that the cache
// needs to file it; the rest is stored as the shop sent it.
type feedPurchase struct {
	Code     string
	Seq      int64
	Activity bool // It has deliveries or credits, which the daily report needs decoded.
	// Lines is the JSON of the purchase's lines, a slice of its JSON (nil
	// when it has none), so that their figures are checked
	// (checkFeedPurchase) without decoding the rest.
	Lines []byte
	// Created and Status are its creation time (Unix nanoseconds, 0 for
	// none) and payment status, for its search columns, read as
	// encoding/json reads them; Desk.indexCached, which decodes every
	// purchase it indexes, files the right ones should they differ all
	// the same.
	Created int64
	Status  string
}

// scanFeedPurchase reads code, seq and whether there are deliveries or
// credits from the top level of a purchase's JSON in one pass without
// allocating, since a first sync files a hundred thousand of them. raw must
// be valid JSON (the page it came in was decoded by encoding/json). Anything
// unusual, such as escapes in the code, falls back to encoding/json.
func scanFeedPurchase(raw []byte) (feedPurchase, error) {
	if fp, ok := scanTop(raw); ok {
		return fp, nil
	}
	var v struct {
		Code       string            `json:"code"`
		Seq        int64             `json:"seq"`
		Deliveries []json.RawMessage `json:"deliveries"`
		Credits    []json.RawMessage `json:"credits"`
		Lines      json.RawMessage   `json:"lines"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return feedPurchase{}, err
	}
	fp := feedPurchase{Code: v.Code, Seq: v.Seq, Activity: len(v.Deliveries)+len(v.Credits) > 0, Lines: v.Lines}
	// Apart, so that a status or time that cannot be read leaves the
	// columns to Desk.indexCached rather than refuse the purchase here.
	var cols struct {
		Status    string    `json:"status"`
		CreatedAt time.Time `json:"created_at"`
	}
	if json.Unmarshal(raw, &cols) == nil {
		fp.Status, fp.Created = cols.Status, nanos(cols.CreatedAt)
	}
	return fp, nil
}

// createdNanos reads a purchase's created_at (JSON) as encoding/json
// would, in Unix nanoseconds (see nanos), or 0 when it cannot.
func createdNanos(val []byte) int64 {
	var t time.Time
	if len(val) == 0 || t.UnmarshalJSON(val) != nil {
		return 0
	}
	return nanos(t)
}

func scanTop(b []byte) (fp feedPurchase, ok bool) {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return fp, false
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return fp, true
	}
	t := topScan{fast: true}
	for i < len(b) {
		if b[i] != '"' {
			return fp, false
		}
		ks := i + 1
		ke := ks
		for ke < len(b) && b[ke] != '"' {
			if b[ke] == '\\' {
				return fp, false // Escaped keys: leave them to encoding/json.
			}
			ke++
		}
		if ke >= len(b) {
			return fp, false
		}
		key := b[ks:ke]
		i = skipWS(b, ke+1)
		if i >= len(b) || b[i] != ':' {
			return fp, false
		}
		i = skipWS(b, i+1)
		if i >= len(b) {
			return fp, false
		}
		vs := i
		ve, good := skipValue(b, i)
		if !good {
			return fp, false
		}
		if t.member(key, b[vs:ve]); !t.fast {
			return fp, false
		}
		var closed bool
		if i, closed, ok = afterValue(b, ve, '}'); !ok {
			return fp, false
		} else if closed {
			// Duplicate keys and such are rare enough to leave to the slow path.
			return t.fp, t.done() && skipWS(b, i) == len(b)
		}
	}
	return fp, false
}

// topScan reads a purchase's code, seq and whether it has deliveries or
// credits from its top-level members, one at a time, as encoding/json
// would read them; fast turns false at anything it leaves to
// encoding/json.
type topScan struct {
	fp                feedPurchase
	seenCode, seenSeq bool
	fast              bool
}

// member reads the member key (as written between its quotes) whose value
// is val, valid JSON.
func (t *topScan) member(key, val []byte) {
	if bytes.IndexByte(key, '\\') >= 0 || foldsToField(key) {
		// Escaped keys, and keys encoding/json matches case-insensitively.
		t.fast = false
		return
	}
	switch string(key) {
	case "code":
		if len(val) < 2 || val[0] != '"' {
			t.fast = false
			return
		}
		s := val[1 : len(val)-1]
		for _, c := range s {
			if c == '\\' || c >= 0x80 || c < 0x20 {
				t.fast = false // Codes are plain ASCII; leave the rest to encoding/json.
				return
			}
		}
		t.fp.Code, t.seenCode = string(s), true
	case "seq":
		n, err := strconv.ParseInt(string(val), 10, 64)
		if err != nil {
			t.fast = false
			return
		}
		t.fp.Seq, t.seenSeq = n, true
	case "lines":
		t.fp.Lines = val
	case "status":
		// Escapes, and bytes encoding/json would replace, are left to it.
		if len(val) < 2 || val[0] != '"' || bytes.IndexByte(val, '\\') >= 0 || !utf8.Valid(val) {
			t.fast = false
			return
		}
		t.fp.Status = string(val[1 : len(val)-1])
	case "created_at":
		if string(val) == "null" {
			// encoding/json keeps what an earlier created_at set.
			t.fast = false
			return
		}
		t.fp.Created = createdNanos(val)
	case "deliveries", "credits":
		switch {
		case val[0] == '[':
			if j := skipWS(val, 1); j < len(val) && val[j] != ']' {
				t.fp.Activity = true
			}
		case string(val) != "null":
			t.fast = false
		}
	}
}

// done reports whether the members read so far give the purchase's code,
// seq and activity as encoding/json would.
func (t *topScan) done() bool { return t.fast && t.seenCode && t.seenSeq }

// afterValue reads what follows a value inside an object or array that
// end closes: it returns the index of the next member after a comma, or
// the index just after end with closed set; ok is false for anything else.
func afterValue(b []byte, i int, end byte) (next int, closed, ok bool) {
	i = skipWS(b, i)
	if i >= len(b) {
		return 0, false, false
	}
	switch b[i] {
	case ',':
		return skipWS(b, i+1), false, true
	case end:
		return i + 1, true, true
	}
	return 0, false, false
}

// foldsToField reports whether key matches one of the fields read here only
// when case is ignored.
func foldsToField(key []byte) bool {
	switch len(key) {
	case len("seq"), len("code"), len("lines"), len("status"), len("credits"), len("deliveries"): // And len("created_at").
	default:
		// Most keys of a purchase: an ASCII key of another length folds
		// to none of them. Non-ASCII ones may ("ſeq" is "seq" to
		// encoding/json), so they are compared.
		ascii := true
		for _, c := range key {
			ascii = ascii && c < 0x80
		}
		if ascii {
			return false
		}
	}
	for _, f := range [...]string{"code", "seq", "lines", "status", "created_at", "deliveries", "credits"} {
		if string(key) != f && bytes.EqualFold(key, []byte(f)) {
			return true
		}
	}
	return false
}

func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skipValue returns the index just after the JSON value starting at i.
func skipValue(b []byte, i int) (int, bool) {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				var ok bool
				if i, ok = skipString(b, i); !ok {
					return 0, false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
			i++
		}
		return 0, false
	default:
		s := i
		for i < len(b) {
			switch b[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return i, i > s
			}
			i++
		}
		return i, i > s
	}
}

// skipString returns the index just after the string starting at b[i] == '"'.
func skipString(b []byte, i int) (int, bool) {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1, true
		}
	}
	return 0, false
}
