package scanner_test

import (
	"fmt"
	"time"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/scanner"
)

func ExamplePipeline_Process() {
	p := scanner.NewPipeline(scanner.Options{HostLayout: "no", ScannerLayout: "us"})
	// A scanner set to US, typing into a Norwegian computer: the AIM
	// identifier's "]" is the dead key "¨", the hyphen is "+".
	sc, err := p.Process(scanner.Reading{Data: "¨Q1k7rm+4qxh\r", Source: scanner.SourceWedge})
	fmt.Println(sc.Code, sc.Class, sc.Symbology, err)

	_, err = p.Process(scanner.Reading{Data: "K7RM4QXH", Source: "serial:/dev/ttyACM0"})
	fmt.Println(err)

	_, err = p.Process(scanner.Reading{Data: "K7RM4QXJ", Source: "serial:/dev/ttyACM0"})
	fmt.Println(err)
	// Output:
	// K7RM4QXH reference QR Code <nil>
	// scanner: same code read again
	// scanner.Pipeline.Process: invalid code "K7RM4QXJ": check character does not match
}

func ExampleWedge() {
	w := scanner.NewWedge(scanner.WedgeOptions{})
	at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	for _, r := range "K7RM4QXH" {
		w.Key(r, at)
		at = at.Add(4 * time.Millisecond) // Scanner speed.
	}
	text, scanned := w.Enter(at)
	fmt.Println(text, scanned, scanner.WedgeReading(text, scanned, at).Source)
	// Output: K7RM4QXH true wedge
}

func ExampleParseCode() {
	code, class, err := scanner.ParseCode(" k7rm-4qxh ")
	fmt.Println(code, class, err, skranke.GroupCode(code))
	// Output: K7RM4QXH reference <nil> K7RM-4QXH
}
