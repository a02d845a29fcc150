package printer

import "testing"

func TestFilePathPerOS(t *testing.T) {
	cases := []struct{ addr, goos, want string }{
		{"/C:/skranke/out.bin", "windows", "C:/skranke/out.bin"},
		{"/z:/tmp/out.bin", "windows", "z:/tmp/out.bin"},
		{"Z:/tmp/out.bin", "windows", "Z:/tmp/out.bin"},
		{"/tmp/out.bin", "windows", "/tmp/out.bin"},
		{"/C:/skranke/out.bin", "linux", "/C:/skranke/out.bin"},
		{"/tmp/out.bin", "linux", "/tmp/out.bin"},
	}
	for _, c := range cases {
		if got := filePath(c.addr, c.goos); got != c.want {
			t.Errorf("filePath(%q, %s) = %q, want %q", c.addr, c.goos, got, c.want)
		}
	}
}
