package app

import (
	"context"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/skranke/skranke/app/config"
	"github.com/skranke/skranke/printer"
	"github.com/skranke/skranke/scanner"
	desksync "github.com/skranke/skranke/sync"
)

// settingsScreen edits the desk's Config (managers only).
type settingsScreen struct {
	// scannerRows are the scanner fields each kind of scanner uses; form
	// holds them with their labels.
	scannerRows map[string][]fyne.CanvasObject
	form        *fyne.Container
	ShopURL     *entry
	DeskToken   *entry
	Centre      *entry
	// AllowHTTP lets the shop address be http:// to another machine; when
	// on, HTTPWarning says in red what that risks.
	AllowHTTP   *widget.Check
	HTTPWarning *canvas.Text
	// CAFile is the PEM file of a private CA the shop's certificate chains to.
	CAFile *entry

	ScannerSource *selectField // Keyboard wedge, serial or HID.
	ScannerPort   *widget.SelectEntry
	ScannerDevice *widget.SelectEntry
	KeyboardHost  *selectField
	RefreshPorts  *button
	// ScannerPrefix is what the scanner is programmed to send before each
	// code; it is stripped.
	ScannerPrefix *entry
	// ScannerSuffix is the end-of-code character the scanner sends, one
	// of scannerSuffixes.
	ScannerSuffix *selectField
	// ScannerBaud is the serial scanner's speed, one of scannerBauds.
	ScannerBaud *selectField

	PrinterProfile   *selectField
	PrinterTransport *selectField
	PrinterAddress   *entry

	NoteHeader *widget.Entry
	NoteFooter *widget.Entry
	Language   *selectField
	IdleLock   *entry
	Training   *widget.Check
	// TrainingShopURL and TrainingToken are the sandbox shop of training mode.
	TrainingShopURL *entry
	TrainingToken   *entry

	Save *button

	sh       shell
	host     settingsHost
	savePath string   // Where the settings are saved; empty means not saved.
	suffixes []string // The values of the ScannerSuffix options.
	profiles []printer.Profile
	obj      fyne.CanvasObject
}

// scannerSuffixes are the suffixes a scanner can be set to send, in the
// order of the Suffix list: none, CR, LF, CR LF, Tab.
var scannerSuffixes = []string{"", "\r", "\n", "\r\n", "\t"}

func suffixNames() []string {
	return []string{
		label("settings.suffix_none"),
		label("settings.suffix_cr"),
		"LF",
		"CR LF",
		"Tab",
	}
}

// scannerBauds are the serial speeds offered for a scanner; 9600 is what
// most scanners ship with.
var scannerBauds = []int{1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200}

// defaultBaud is the speed used when the configuration names none.
const defaultBaud = 9600

// scannerSources are the Config.ScannerSource values, in the order of the
// Scanner list.
var scannerSources = []string{"wedge", "serial", "hid"}

// languages are the Config.Language values, in the order of the Language
// list: the system's, Norwegian Bokmål, English.
var languages = []string{"", "nb", "en"}

// transports are the printer target kinds, in the order of the Connection list.
var transports = []string{"none", "tcp", "device", "serial", "spooler", "file"}

func transportNames() []string {
	return []string{
		label("settings.tp_none"),
		label("settings.tp_tcp"),
		label("settings.tp_device"),
		label("settings.tp_serial"),
		label("settings.tp_spooler"),
		label("settings.tp_file"),
	}
}

// settingsHost is what the settings screen changes beyond its own form.
type settingsHost interface {
	// configInForce returns the settings in force.
	configInForce() config.Config
	// inSetup reports whether the desk is in first-time setup, where
	// settings are saved without a manager's login.
	inSetup() bool
	// apply puts saved settings in force where that is slow (the printer,
	// the scanners). It runs off the UI goroutine and returns the UI half
	// to run afterwards.
	apply(old, cfg config.Config) (ui func(), err error)
	// closeSetup leaves first-time setup for the login screen.
	closeSetup()
}

func newSettingsScreen(sh shell, host settingsHost, savePath string) *settingsScreen {
	s := &settingsScreen{sh: sh, host: host, savePath: savePath, profiles: printer.Profiles()}
	s.ShopURL = newEntry(sh, "https://shop.example.no")
	s.DeskToken = newEntry(sh, label("settings.token_hint"))
	s.DeskToken.Password = true
	s.Centre = newEntry(sh, label("settings.centre_hint"))
	s.HTTPWarning = canvas.NewText("", colBad)
	s.HTTPWarning.TextStyle.Bold = true
	s.AllowHTTP = widget.NewCheck(label("settings.allow_http_check"), func(on bool) {
		s.HTTPWarning.Text = ""
		if on {
			s.HTTPWarning.Text = label("settings.allow_http_warning")
		}
		s.HTTPWarning.Refresh()
	})
	s.CAFile = newEntry(sh, "/etc/skranke/chain-ca.pem")
	s.ScannerSource = newSelect(sh, []string{
		label("settings.src_wedge"),
		label("settings.src_serial"),
		label("settings.src_hid"),
	}, nil)
	s.ScannerPort = widget.NewSelectEntry(nil)
	s.ScannerPort.SetPlaceHolder("/dev/ttyUSB0")
	s.ScannerDevice = widget.NewSelectEntry(nil)
	s.ScannerDevice.SetPlaceHolder("0c2e:0b61")
	layouts := []string{label("settings.layout_none")}
	for _, l := range scanner.Layouts() {
		layouts = append(layouts, string(l))
	}
	s.KeyboardHost = newSelect(sh, layouts, nil)
	s.RefreshPorts = newButton(sh, label("settings.find_devices"), theme.SearchIcon(), s.findDevices)
	s.ScannerPrefix = newEntry(sh, label("settings.prefix_hint"))
	s.ScannerSuffix = newSelect(sh, suffixNames(), nil)
	s.suffixes = slices.Clone(scannerSuffixes)
	bauds := make([]string, len(scannerBauds))
	for i, b := range scannerBauds {
		bauds[i] = strconv.Itoa(b)
	}
	s.ScannerBaud = newSelect(sh, bauds, nil)
	names := make([]string, len(s.profiles))
	for i, p := range s.profiles {
		names[i] = p.Name
	}
	s.PrinterProfile = newSelect(sh, names, nil)
	s.PrinterTransport = newSelect(sh, transportNames(), nil)
	s.PrinterAddress = newEntry(sh, "10.0.0.50:9100 · /dev/usb/lp0 · /dev/ttyUSB1?baud=19200")
	s.NoteHeader = widget.NewMultiLineEntry()
	s.NoteHeader.SetMinRowsVisible(2)
	s.NoteFooter = widget.NewMultiLineEntry()
	s.NoteFooter.SetMinRowsVisible(2)
	s.Language = newSelect(sh, []string{
		label("settings.lang_system"), "Norsk bokmål", "English",
	}, nil)
	s.IdleLock = newEntry(sh, "5")
	s.Training = widget.NewCheck(label("settings.training_check"), nil)
	s.TrainingShopURL = newEntry(sh, "https://sandbox.shop.example.no")
	s.TrainingToken = newEntry(sh, label("settings.token_hint"))
	s.TrainingToken.Password = true
	s.Save = newButton(sh, label("settings.save"), theme.DocumentSaveIcon(), s.save)
	s.Save.Importance = widget.HighImportance

	portRow := container.NewBorder(nil, nil, nil, s.RefreshPorts, s.ScannerPort)
	form := formGrid(
		label("settings.shop_url"), s.ShopURL,
		label("settings.token"), s.DeskToken,
		label("settings.centre"), s.Centre,
		label("settings.allow_http"), container.NewVBox(s.AllowHTTP, s.HTTPWarning),
		label("settings.ca_file"), s.CAFile,
		label("settings.scanner"), s.ScannerSource,
		label("settings.port"), portRow,
		label("settings.baud"), s.ScannerBaud,
		label("settings.prefix"), s.ScannerPrefix,
		label("settings.suffix"), s.ScannerSuffix,
		label("settings.device"), s.ScannerDevice,
		label("settings.layout"), s.KeyboardHost,
		label("settings.printer"), s.PrinterProfile,
		label("settings.transport"), s.PrinterTransport,
		label("settings.address"), s.PrinterAddress,
		label("settings.header"), s.NoteHeader,
		label("settings.footer"), s.NoteFooter,
		label("settings.language"), s.Language,
		label("settings.idle"), s.IdleLock,
		label("settings.training"), s.Training,
		label("settings.training_url"), s.TrainingShopURL,
		label("settings.training_token"), s.TrainingToken,
	)
	// Only the scanner fields of the chosen kind of scanner show: a port
	// and speed for serial, a device for HID, the keyboard layout for
	// keyboard wedges and HID.
	s.scannerRows = map[string][]fyne.CanvasObject{
		"serial": {portRow, s.ScannerBaud},
		"hid":    {s.ScannerDevice, s.KeyboardHost},
		"wedge":  {s.KeyboardHost},
	}
	s.form = form
	s.ScannerSource.OnChanged = func(string) { s.showScannerRows() }
	title := bigText(28, true)
	title.Text = label("settings.title")
	note := widget.NewLabel(label("settings.restart_note"))
	note.Wrapping = fyne.TextWrapWord
	// The form is longer than a small screen: it scrolls, while Save stays put.
	s.obj = container.NewBorder(container.NewVBox(title, note), big(s.Save, 16), nil, nil,
		minHeight(container.NewVScroll(form), linesMinHeight))
	return s
}

// showScannerRows shows the scanner fields of the chosen kind of scanner,
// each with its label, and hides the others.
func (s *settingsScreen) showScannerRows() {
	src := scannerSources[max(s.ScannerSource.SelectedIndex(), 0)]
	shown := map[fyne.CanvasObject]bool{}
	for _, o := range s.scannerRows[src] {
		shown[o] = true
	}
	for _, rows := range s.scannerRows {
		for _, o := range rows {
			i := slices.Index(s.form.Objects, o)
			if i < 1 {
				continue
			}
			show(o, shown[o])
			show(s.form.Objects[i-1], shown[o]) // Its label.
		}
	}
	s.form.Refresh()
}

// load fills the form from the settings in force.
func (s *settingsScreen) load() {
	c := s.host.configInForce()
	s.ShopURL.SetText(c.ShopURL)
	s.DeskToken.SetText(c.DeskToken)
	s.Centre.SetText(c.Centre)
	s.AllowHTTP.SetChecked(c.AllowHTTP)
	s.CAFile.SetText(c.CAFile)
	s.ScannerSource.SetSelectedIndex(max(slices.Index(scannerSources, c.ScannerSource), 0))
	s.ScannerPort.SetText(c.ScannerPort)
	s.ScannerDevice.SetText(c.ScannerDevice)
	baud := c.ScannerBaud
	if baud == 0 {
		baud = defaultBaud
	}
	if i := slices.Index(scannerBauds, baud); i >= 0 {
		s.ScannerBaud.SetSelectedIndex(i)
	} else {
		// A speed set by hand in the file: keep it on offer.
		s.ScannerBaud.Options = append(s.ScannerBaud.Options, strconv.Itoa(baud))
		s.ScannerBaud.SetSelected(strconv.Itoa(baud))
	}
	s.ScannerPrefix.SetText(c.ScannerPrefix)
	s.suffixes = slices.Clone(scannerSuffixes)
	s.ScannerSuffix.Options = suffixNames()
	if i := slices.Index(s.suffixes, c.ScannerSuffix); i >= 0 {
		s.ScannerSuffix.SetSelectedIndex(i)
	} else {
		// A suffix set by hand in the file: keep it on offer, as written.
		s.suffixes = append(s.suffixes, c.ScannerSuffix)
		s.ScannerSuffix.Options = append(s.ScannerSuffix.Options, strconv.Quote(c.ScannerSuffix))
		s.ScannerSuffix.SetSelectedIndex(len(s.suffixes) - 1)
	}
	s.KeyboardHost.SetSelectedIndex(0)
	if l, err := scanner.ParseLayout(c.KeyboardHost); err == nil {
		s.KeyboardHost.SetSelected(string(l))
	}
	s.PrinterProfile.ClearSelected()
	for i, p := range s.profiles {
		if p.ID == c.PrinterProfile {
			s.PrinterProfile.SetSelectedIndex(i)
		}
	}
	tp, addr := splitTarget(c.PrinterTarget)
	s.PrinterTransport.SetSelectedIndex(max(slices.Index(transports, tp), 0))
	s.PrinterAddress.SetText(addr)
	s.NoteHeader.SetText(c.NoteHeader)
	s.NoteFooter.SetText(c.NoteFooter)
	s.Language.SetSelectedIndex(max(slices.Index(languages, c.Language), 0))
	s.IdleLock.SetText(strconv.Itoa(c.IdleLockMinutes))
	s.Training.SetChecked(c.Training)
	s.TrainingShopURL.SetText(c.TrainingShopURL)
	s.TrainingToken.SetText(c.TrainingToken)
	s.findDevices()
}

// splitTarget splits "tcp://host:9100" into its transport and address.
func splitTarget(t string) (transport, addr string) {
	if t == "" {
		return "none", ""
	}
	tp, rest, ok := strings.Cut(t, "://")
	if !ok {
		return "tcp", t
	}
	return tp, rest
}

func joinTarget(transport, addr string) string {
	addr = strings.TrimSpace(addr)
	if transport == "" || transport == "none" || addr == "" {
		return ""
	}
	return transport + "://" + addr
}

// findDevices lists serial ports and HID devices in the background.
func (s *settingsScreen) findDevices() {
	s.sh.async(func(ctx context.Context) func() {
		ports, hids := listScannerDevices()
		return func() {
			s.ScannerPort.SetOptions(ports)
			s.ScannerDevice.SetOptions(hids)
		}
	})
}

// Collect returns the Config the form describes, or an error message.
func (s *settingsScreen) Collect() (config.Config, string) {
	c := s.host.configInForce()
	u, err := url.Parse(strings.TrimSpace(s.ShopURL.Text))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, label("settings.bad_url")
	}
	c.ShopURL = strings.TrimRight(u.String(), "/")
	c.DeskToken = strings.TrimSpace(s.DeskToken.Text)
	c.Centre = strings.TrimSpace(s.Centre.Text)
	c.AllowHTTP = s.AllowHTTP.Checked
	if err := desksync.CheckShopURL(c.ShopURL, c.AllowHTTP); err != nil {
		return c, label("settings.insecure_url")
	}
	c.CAFile = strings.TrimSpace(s.CAFile.Text)
	if _, err := desksync.LoadCAFile(c.CAFile); err != nil {
		return c, label("settings.bad_ca_file", m{"Msg": detail(err)})
	}
	c.ScannerSource = scannerSources[max(s.ScannerSource.SelectedIndex(), 0)]
	c.ScannerPort = strings.TrimSpace(s.ScannerPort.Text)
	c.ScannerDevice = strings.TrimSpace(s.ScannerDevice.Text)
	if c.ScannerSource == "serial" && c.ScannerPort == "" {
		return c, label("settings.need_port")
	}
	if c.ScannerSource == "hid" && c.ScannerDevice == "" {
		return c, label("settings.need_device")
	}
	if b, err := strconv.Atoi(s.ScannerBaud.Selected); err == nil && b > 0 && !(b == defaultBaud && c.ScannerBaud == 0) {
		c.ScannerBaud = b
	}
	c.ScannerPrefix = s.ScannerPrefix.Text
	if strings.ContainsAny(c.ScannerPrefix, "\r\n") || len(c.ScannerPrefix) > 16 {
		return c, label("settings.bad_prefix")
	}
	if i := s.ScannerSuffix.SelectedIndex(); i >= 0 && i < len(s.suffixes) {
		c.ScannerSuffix = s.suffixes[i]
	}
	c.KeyboardHost = ""
	if s.KeyboardHost.SelectedIndex() > 0 {
		c.KeyboardHost = s.KeyboardHost.Selected
	}
	if i := s.PrinterProfile.SelectedIndex(); i >= 0 {
		c.PrinterProfile = s.profiles[i].ID
	}
	c.PrinterTarget = joinTarget(transports[max(s.PrinterTransport.SelectedIndex(), 0)], s.PrinterAddress.Text)
	if c.PrinterTarget != "" {
		if _, err := printer.ParseTarget(c.PrinterTarget); err != nil {
			return c, label("settings.bad_target", m{"Err": detail(err)})
		}
	}
	c.NoteHeader = s.NoteHeader.Text
	c.NoteFooter = s.NoteFooter.Text
	c.Language = languages[max(s.Language.SelectedIndex(), 0)]
	n, err := strconv.Atoi(strings.TrimSpace(s.IdleLock.Text))
	if err != nil || n < 0 || n > 24*60 {
		return c, label("settings.bad_idle")
	}
	c.IdleLockMinutes = n
	c.Training = s.Training.Checked
	c.TrainingShopURL = strings.TrimRight(strings.TrimSpace(s.TrainingShopURL.Text), "/")
	c.TrainingToken = strings.TrimSpace(s.TrainingToken.Text)
	if c.TrainingShopURL != "" {
		if u, err := url.Parse(c.TrainingShopURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, label("settings.bad_training_url")
		}
		if err := desksync.CheckShopURL(c.TrainingShopURL, c.AllowHTTP); err != nil {
			return c, label("settings.insecure_url")
		}
	}
	if c.Training && c.TrainingShopURL == "" {
		return c, label("settings.need_training_url")
	}
	return c, ""
}

func (s *settingsScreen) save() {
	if !isManager(s.sh.currentStaff()) && !s.host.inSetup() {
		s.sh.sayErr(label("err.manager_only"))
		return
	}
	cfg, problem := s.Collect()
	if problem != "" {
		s.sh.sayErr(problem)
		return
	}
	path := s.savePath
	by := "first-time setup"
	if s.sh.currentStaff() != nil {
		by = s.sh.currentStaff().ID
	}
	old := s.host.configInForce()
	s.sh.async(func(ctx context.Context) func() {
		var err error
		if path != "" {
			err = config.Save(path, cfg)
		}
		var applyErr error
		applied := func() {}
		if err == nil {
			applied, applyErr = s.host.apply(old, cfg)
		}
		return func() {
			if err != nil {
				s.sh.sayErr(label("settings.save_failed", m{"Err": ioErrText(err)}))
				return
			}
			slog.Info("settings saved", "config", cfg, "by", by)
			applied()
			if applyErr != nil {
				s.sh.sayErr(label("settings.apply_failed", m{"Err": detail(applyErr)}))
				return
			}
			setup := s.host.inSetup()
			if setup || shopChanged(old, cfg) {
				// The desk keeps talking to the shop it started with
				// (training mode too): say so, rather than let staff
				// believe they practise on the sandbox. Said before setup
				// closes, so that the login screen after it shows it.
				s.sh.sayOK(label("settings.saved_restart"))
				if setup {
					s.host.closeSetup()
				}
				return
			}
			s.sh.sayOK(label("settings.saved"))
		}
	})
}

// shopChanged reports whether the shop in force (the sandbox's in training
// mode) differs, which takes a restart.
func shopChanged(a, b config.Config) bool {
	au, at := a.Shop()
	bu, bt := b.Shop()
	return au != bu || at != bt || a.AllowHTTP != b.AllowHTTP || a.CAFile != b.CAFile
}

func (s *settingsScreen) content() fyne.CanvasObject { return s.obj }

func (s *settingsScreen) focusTarget() fyne.Focusable { return s.ShopURL }

func (s *settingsScreen) runeTarget() fyne.Focusable { return nil }

func (s *settingsScreen) actionKeys() map[fyne.KeyName]*button {
	return map[fyne.KeyName]*button{fyne.KeyF6: s.Save}
}

func (s *settingsScreen) escape() bool { return true }

func (s *settingsScreen) lock() {}
