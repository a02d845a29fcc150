package main

// skranke printer-test reads the settings through package config and
// prints through package printer only: it needs no desk UI, so that a
// printer can be tried on a machine without a display.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/skranke/skranke/printer"
)

// printerTest prints the printer's test page and reports how it went.
func printerTest(args []string, stderr io.Writer) int {
	o, err := parseFlags("skranke printer-test", args, stderr, false)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	cfg, _, err := loadConfig(o)
	if err != nil {
		slog.Error("read configuration", "err", err)
		return 1
	}
	if cfg.PrinterTarget == "" {
		fmt.Fprintln(stderr, "no printer configured: give -printer tcp://host:9100 (or file:///path, serial:///dev/ttyUSB0, device:///dev/usb/lp0)")
		return 2
	}
	prn, err := cfg.OpenPrinter()
	if err != nil {
		slog.Error("printer setting", "target", cfg.PrinterTarget, "err", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := prn.Print(ctx, printer.TestPage(prn.Profile())); err != nil {
		slog.Error("test page not printed", "target", prn.Target().String(), "kind", printer.KindOf(err).String(), "err", err)
		return 1
	}
	slog.Info("test page printed", "target", prn.Target().String(), "profile", prn.Profile().ID)
	return 0
}
