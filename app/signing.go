package app

func (s *ScanScreen) acceptSignature() {
	if s.pending == nil {
		return
	}
	if s.Pad.Empty() {
		s.SignMessage.SetText(tr("sign.blank", "The pad is blank: the buyer must sign before the goods are handed over."))
		s.d.sayErr(s.SignMessage.Text)
		return
	}
	strokes := s.Pad.snapshot()
	req := *s.pending
	s.pending = nil
	s.arrange()
	// The pad is hidden but would keep the focus, swallowing the next scan.
	s.d.focusDefault()
	s.deliver(req, strokes)
}
