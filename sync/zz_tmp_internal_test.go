package sync

import (
	"context"
	"os"
	"os/exec"
	"testing"
)

func TestZZIndexCopy(t *testing.T) {
	src, dst := os.Getenv("ZZ_SRC"), os.Getenv("ZZ_DST")
	if src == "" {
		t.Skip()
	}
	os.MkdirAll(dst, 0o700)
	if out, err := exec.Command("cp", src, dst+"/"+CacheFile).CombinedOutput(); err != nil {
		t.Fatal(err, string(out))
	}
	ctx := context.Background()
	d, err := Open(ctx, Config{BaseURL: "http://127.0.0.1:1", DataDir: dst, AllowHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.indexCached(ctx, true); err != nil {
		t.Fatal(err)
	}
	d.Close()
}
