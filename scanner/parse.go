package scanner

// ParseCode reads a code typed or pasted by a person (on a web page, in a
// search field): trimmed, upper-cased, with the aliases I, L for 1 and O for
// 0, and hyphens and spaces between groups removed. It returns the bare code
// and its class, an error of kind skranke.Invalid wrapping an *InvalidError
// for a code that looks like ours but fails validation, or ErrEmpty. Text that is none of Skranke's codes nor an
// EAN-13 comes back as Unknown.
func ParseCode(s string) (code string, class Class, err error) {
	p := Pipeline{window: -1}
	sc, err := p.Process(Reading{Data: s, Source: SourceHand})
	return sc.Code, sc.Class, err
}
