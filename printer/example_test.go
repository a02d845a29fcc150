package printer_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/skranke/skranke/printer"
)

// A delivery note laid out for an 80 mm Epson TM-T88V (42 columns), read back as the customer
// would read it.
func ExampleDeliveryNote() {
	p, _ := printer.ProfileByID("epson-tm-t88v")
	note := printer.DeliveryNote{
		CentreName: "Aktiv Majorstuen",
		Reference:  "K7Q2X9M4P8R3",
		Lines:      []printer.NoteLine{{Name: "Håndkle", Ordered: 2, DeliveredNow: 1, Remaining: 1}},
		Staff:      "Kari",
		At:         time.Date(2026, 11, 24, 14, 32, 0, 0, time.UTC),
		Language:   "nb",
	}
	data, err := printer.Encode(note.Document(), p)
	if err != nil {
		panic(err)
	}
	text, _ := printer.Text(data, p)
	for _, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) != "" { // skip the blank feed lines
			fmt.Println(line)
		}
	}
	// Output:
	// Aktiv Majorstuen
	// ==========================================
	// UTLEVERINGSBEVIS
	// Dette er ikke en salgskvittering
	// ==========================================
	// Referanse:                  K7Q2 X9M4 P8R3
	// [barcode K7Q2X9M4P8R3]
	// ------------------------------------------
	// Vare                        Nå Totalt Rest
	// ------------------------------------------
	// Håndkle                      1    1/2    1
	// ------------------------------------------
	// Utlevert nå:                             1
	// Gjenstår å hente:                        1
	// Ekspedert av:                         Kari
	// Tid:                      24.11.2026 14:32
	// __________________________________________
	// Signatur
	// [cut]
}

// Parsing a printer address from settings.
func ExampleParseTarget() {
	for _, s := range []string{"tcp://192.168.1.50", "serial:///dev/ttyUSB0?baud=115200", "spooler://EPSON TM-T20III"} {
		t, err := printer.ParseTarget(s)
		fmt.Println(t.Kind, t.Address, t.Baud, err)
	}
	// Output:
	// tcp 192.168.1.50:9100 0 <nil>
	// serial /dev/ttyUSB0 115200 <nil>
	// spooler EPSON TM-T20III 0 <nil>
}
