package sync_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	stdsync "sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
	desksync "github.com/skranke/skranke/sync"
)

// A page of the changes feed the desk cannot file (one purchase in the
// middle without its code) is refused whole: the pages before it stay with
// their cursor, nothing of it is written, staff are told what the shop
// sent, and the next sync takes the page once the shop sends it right.
func TestBrokenPageRefusedWhole(t *testing.T) {
	ctx := context.Background()
	srv := shoptest.Start(t, shoptest.WithBulk(2500))
	target, err := url.Parse(srv.URL)
	require.NoError(t, err)
	// The second page is broken by its cursor, not as the second request:
	// on a loaded machine the desk may give up on a slow answer and ask
	// again, and the page asked again must be as broken as the first time.
	var mu stdsync.Mutex
	breakSince, breaking := "", true
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ModifyResponse = func(res *http.Response) error {
		if !strings.HasSuffix(res.Request.URL.Path, "/changes") || res.StatusCode != http.StatusOK {
			return nil
		}
		since := res.Request.URL.Query().Get("since")
		mu.Lock()
		if breakSince == "" && since != "0" {
			breakSince = since
		}
		broken := breaking && since == breakSince
		mu.Unlock()
		if !broken {
			return nil
		}
		var r io.Reader = res.Body
		if res.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(res.Body)
			if err != nil {
				return err
			}
			r = zr
		}
		var page map[string]json.RawMessage
		if err := json.NewDecoder(r).Decode(&page); err != nil {
			return err
		}
		res.Body.Close()
		var ps []map[string]json.RawMessage
		if err := json.Unmarshal(page["purchases"], &ps); err != nil {
			return err
		}
		delete(ps[len(ps)/2], "code")
		page["purchases"], _ = json.Marshal(ps)
		b, err := json.Marshal(page)
		if err != nil {
			return err
		}
		res.Header.Del("Content-Encoding")
		res.Header.Set("Content-Length", strconv.Itoa(len(b)))
		res.ContentLength = int64(len(b))
		res.Body = io.NopCloser(bytes.NewReader(b))
		return nil
	}
	px := httptest.NewServer(rp)
	t.Cleanup(px.Close)
	d := MustOpen(t, px.URL, srv.DeskToken)

	err = d.Sync(ctx)
	require.Equal(t, skranke.Internal, skranke.KindOf(err), "%v", err)
	require.Contains(t, err.Error(), "the shop sent a changes page the desk cannot file")
	require.Contains(t, err.Error(), "of the page: it has no code")
	n, err := d.CountCachedForTest(ctx)
	require.NoError(t, err)
	require.Equal(t, desksync.PageSize, n, "the first page whole, nothing of the broken one")
	cursor, err := d.Cursor(ctx)
	require.NoError(t, err)
	require.Positive(t, cursor)

	mu.Lock()
	breaking = false
	mu.Unlock()
	require.NoError(t, d.Sync(ctx))
	n, err = d.CountCachedForTest(ctx)
	require.NoError(t, err)
	require.Greater(t, n, 2500)
}
