package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

func (s *scanScreen) acceptSignature() {
	if s.pending == nil {
		return
	}
	if s.Pad.Empty() {
		s.SignMessage.SetText(label("sign.blank"))
		s.sh.sayErr(s.SignMessage.Text)
		return
	}
	strokes := s.Pad.snapshot()
	req := *s.pending
	s.pending = nil
	s.arrange()
	// The pad is hidden but would keep the focus, swallowing the next scan.
	s.sh.focusDefault()
	s.deliver(req, strokes)
}

// newSignPanel builds the signature panel: the pad the buyer signs on and
// its buttons.
func (s *scanScreen) newSignPanel() fyne.CanvasObject {
	s.Pad = newSignaturePad()
	s.Pad.onKey = func(ev *fyne.KeyEvent) {
		s.sh.touch()
		if s.sh.globalKey(ev) {
			return
		}
		switch ev.Name {
		case fyne.KeyReturn, fyne.KeyEnter:
			s.acceptSignature()
		case fyne.KeyDelete, fyne.KeyBackspace:
			s.SignClear.OnTapped()
		}
	}
	s.Pad.onDraw = s.sh.touch
	s.SignAccept = newButton(s.sh, label("sign.accept"), theme.ConfirmIcon(), s.acceptSignature)
	s.SignAccept.Importance = widget.SuccessImportance
	s.SignClear = newButton(s.sh, label("sign.clear"), theme.ContentClearIcon(), func() {
		s.Pad.Clear()
		s.SignMessage.SetText(label("sign.prompt"))
	})
	s.SignCancel = newButton(s.sh, label("sign.cancel"), theme.CancelIcon(), s.cancel)
	s.SignMessage = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.SignMessage.Wrapping = fyne.TextWrapWord
	signTitle := bigText(24, true)
	signTitle.Text = label("sign.title")
	// The panel takes the place of the lines and the action bar, so that
	// the pad gets the height of the screen (at least padMinHeight) and
	// its buttons stand beside it, large, where a hand finds them.
	padBg := canvas.NewRectangle(colWhite)
	padBg.SetMinSize(fyne.NewSize(padMinWidth, padMinHeight))
	panel := container.NewBorder(
		container.NewBorder(nil, nil, container.NewCenter(signTitle), nil, s.SignMessage), nil,
		nil, big(container.NewGridWithRows(3, s.SignAccept, s.SignClear, s.SignCancel), 16),
		container.NewStack(padBg, s.Pad))
	panel.Hide()
	return panel
}
