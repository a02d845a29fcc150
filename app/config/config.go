// Package config is the desk's local settings: what they are, where they are
// kept, and the printer they name. It has no user interface, so that the
// command's printer test can read the settings without the desk UI.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/skranke/skranke/printer"
)

// Config is the desk's local settings, kept as JSON in the OS configuration
// directory. It holds the desk token, so it is written with mode 0600 and its
// LogValue hides the token.
type Config struct {
	ShopURL   string `json:"shop_url"`
	DeskToken string `json:"desk_token"`
	Centre    string `json:"centre,omitempty"` // Display name; empty means the shop's name for the centre.

	ScannerSource string `json:"scanner_source,omitempty"` // "wedge" (default), "serial" or "hid".
	ScannerPort   string `json:"scanner_port,omitempty"`   // Serial port, such as /dev/ttyUSB0.
	ScannerBaud   int    `json:"scanner_baud,omitempty"`   // 0 means 9600.
	ScannerDevice string `json:"scanner_device,omitempty"` // HID device as "vvvv:pppp" (hex).
	ScannerPrefix string `json:"scanner_prefix,omitempty"` // Programmed prefix to strip.
	ScannerSuffix string `json:"scanner_suffix,omitempty"` // Programmed suffix to strip.
	KeyboardHost  string `json:"keyboard_host,omitempty"`  // Host keyboard layout ("no", "us"), for wedge repair.
	KeyboardScan  string `json:"keyboard_scanner,omitempty"`

	PrinterProfile string `json:"printer_profile,omitempty"` // printer.Profiles() ID.
	PrinterTarget  string `json:"printer_target,omitempty"`  // Such as tcp://10.0.0.5:9100; empty means no printer.

	NoteHeader string `json:"note_header,omitempty"`
	NoteFooter string `json:"note_footer,omitempty"`

	Language        string `json:"language,omitempty"`          // "", "nb" or "en"; empty follows the system.
	IdleLockMinutes int    `json:"idle_lock_minutes,omitempty"` // 0 means never lock.
	Training        bool   `json:"training,omitempty"`          // Sandbox shop; every print is marked TRENING.
	TrainingShopURL string `json:"training_shop_url,omitempty"` // The sandbox shop used in training mode.
	TrainingToken   string `json:"training_token,omitempty"`    // The desk's token at the sandbox shop.
	DataDir         string `json:"data_dir,omitempty"`
	// Preview shows every printed job in a print-preview window and, for a
	// file printer, writes it as PNG beside the file (demos, layout work).
	// It is an option of one run (skranke -preview), never saved.
	Preview bool `json:"-"`
}

// Default is the configuration of a fresh installation.
func Default() Config {
	return Config{
		ShopURL:         "http://127.0.0.1:8080",
		ScannerSource:   "wedge",
		PrinterProfile:  "generic-80",
		Language:        "",
		IdleLockMinutes: 5,
	}
}

// LogValue implements slog.LogValuer so that logging a Config never prints
// the desk token.
func (c Config) LogValue() slog.Value {
	tok := ""
	if c.DeskToken != "" {
		tok = "[set]"
	}
	return slog.GroupValue(
		slog.String("shop_url", c.ShopURL),
		slog.String("desk_token", tok),
		slog.String("centre", c.Centre),
		slog.String("scanner", c.ScannerSource),
		slog.String("printer_profile", c.PrinterProfile),
		slog.String("printer_target", c.PrinterTarget),
		slog.String("language", c.Language),
		slog.Bool("training", c.Training),
		slog.String("training_shop_url", c.TrainingShopURL),
		slog.String("data_dir", c.DataDir),
	)
}

// Shop returns the shop address and desk token in force: the sandbox shop's
// in training mode, when one is set.
func (c Config) Shop() (url, token string) {
	if c.Training && c.TrainingShopURL != "" {
		return c.TrainingShopURL, c.TrainingToken
	}
	return c.ShopURL, c.DeskToken
}

// Dir returns the directory of Skranke's configuration: the
// SKRANKE_CONFIG_DIR environment variable if set, or skranke under the OS
// user configuration directory.
func Dir() (string, error) {
	if d := os.Getenv("SKRANKE_CONFIG_DIR"); d != "" {
		return d, nil
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find config directory: %w", err)
	}
	return filepath.Join(base, "skranke"), nil
}

// DefaultPath returns Dir()/config.json.
func DefaultPath() (string, error) {
	d, err := Dir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "config.json"), nil
}

// Load reads the configuration at path. A missing file is not an
// error: it returns Default. Fields missing from the file keep their
// defaults.
func Load(path string) (Config, error) {
	cfg := Default()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return cfg, nil
	}
	if err != nil {
		return cfg, fmt.Errorf("read config %s: %w", path, err)
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return Default(), fmt.Errorf("read config %s: %w", path, err)
	}
	return cfg, nil
}

// Save writes cfg to path with mode 0600, creating the directory with
// mode 0700, through a temporary file so that a crash never leaves half a file.
func Save(path string, cfg Config) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("save config %s: %w", path, err)
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return fmt.Errorf("save config %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config-*.json")
	if err != nil {
		return fmt.Errorf("save config %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("save config %s: %w", path, err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("save config %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save config %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save config %s: %w", path, err)
	}
	return os.Chmod(path, 0o600)
}

// OpenPrinter returns the printer c describes, or nil when none is set. An
// unknown profile falls back to generic-80, which most 80 mm printers
// understand.
func (c Config) OpenPrinter() (*printer.Printer, error) {
	if c.PrinterTarget == "" {
		return nil, nil
	}
	prof, ok := printer.ProfileByID(c.PrinterProfile)
	if !ok {
		prof, _ = printer.ProfileByID("generic-80")
		if c.PrinterProfile != "" {
			slog.Warn("unknown printer profile, using generic-80", "profile", c.PrinterProfile)
		}
	}
	t, err := printer.ParseTarget(c.PrinterTarget)
	if err != nil {
		return nil, err
	}
	return printer.New(prof, t), nil
}
