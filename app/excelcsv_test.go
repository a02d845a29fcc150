package app

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
)

// Amounts are kroner with a decimal comma, exact to the øre.
func TestCSVAmount(t *testing.T) {
	for _, tc := range []struct {
		in   skranke.Money
		want string
	}{
		{0, "0,00"},
		{5, "0,05"},
		{100, "1,00"},
		{123450, "1234,50"},
		{-5, "-0,05"},
		{-123450, "-1234,50"},
		{1 << 40, "10995116277,76"},
	} {
		assert.Equal(t, tc.want, csvAmount(tc.in), "%d øre", tc.in)
	}
}

// The file starts with a byte order mark, has semicolons between fields,
// CRLF line ends, and quotes a field that holds a semicolon; a formula
// typed by a buyer stays text.
func TestExcelCSVForm(t *testing.T) {
	var buf bytes.Buffer
	cw, err := newExcelCSV(&buf)
	require.NoError(t, err)
	require.NoError(t, cw.Write([]string{"navn", "beløp_nok"}))
	require.NoError(t, cw.Write([]string{cell("=SUM(A1)"), csvAmount(123450)}))
	require.NoError(t, cw.Write([]string{"Åse; Ødegård", csvAmount(-5)}))
	cw.Flush()
	require.NoError(t, cw.Error())
	assert.Equal(t, "\ufeffnavn;beløp_nok\r\n'=SUM(A1);1234,50\r\n\"Åse; Ødegård\";-0,05\r\n", buf.String())
	rows := parseExcelCSV(t, buf.Bytes())
	assert.Equal(t, []string{"Åse; Ødegård", "-0,05"}, rows[2])
}
