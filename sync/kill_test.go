package sync_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
	desksync "github.com/skranke/skranke/sync"
)

const childEnv = "SKRANKE_DESK_CHILD"

// TestDeskChild is the tiny desk process of TestKilledMidDrain: it opens the
// desk in the given directory and runs the sync loop until the outbox is
// empty. It does nothing in a normal test run.
func TestDeskChild(t *testing.T) {
	spec := os.Getenv(childEnv)
	if spec == "" {
		t.Skip("only run as a subprocess")
	}
	dir, rest, _ := strings.Cut(spec, "|")
	baseURL, token, _ := strings.Cut(rest, "|")
	d, err := desksync.Open(context.Background(), desksync.Config{BaseURL: baseURL, Token: token, DataDir: dir,
		SyncInterval: 50 * time.Millisecond, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go d.Run(ctx)
	ch, stop := d.Subscribe()
	defer stop()
	for d.Status().Pending > 0 {
		<-ch
	}
}

func startChild(t *testing.T, dir, baseURL, token string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestDeskChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+dir+"|"+baseURL+"|"+token)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd
}

// TestKilledMidDrain queues deliveries offline, lets a desk process drain
// them through a slow link, kills it with SIGKILL part way, restarts it, and
// checks that the shop ends up with every delivery exactly once.
func TestKilledMidDrain(t *testing.T) {
	if testing.Short() {
		t.Skip("starts subprocesses")
	}
	const n = 24
	ctx := context.Background()
	srv := shoptest.Start(t)
	px := startProxy(t, strings.TrimPrefix(srv.URL, "http://"))
	px.setDelay(40 * time.Millisecond)
	dir := t.TempDir()
	p := srv.CreatePurchase(skranke.Purchase{Buyer: skranke.Buyer{Name: "Ola Drop-in"}, Status: skranke.Captured,
		Lines: []skranke.Line{{ProductID: "dropin-sal", Quantity: n}}})

	// Queue n single drop-ins while the shop is out of reach.
	d := MustOpenDir(t, dir, px.URL(), srv.DeskToken)
	_, err := d.Lookup(ctx, p.Code)
	require.NoError(t, err)
	px.set(always(reset))
	ids := map[string]bool{}
	for range n {
		del, _, err := d.Deliver(ctx, desksync.DeliverRequest{Code: p.Code, Staff: kari, Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 1}}})
		require.NoError(t, err)
		ids[del.ID] = true
	}
	require.Equal(t, n, d.Status().Pending)
	require.NoError(t, d.Close())

	// A desk process drains over a slow link and is killed part way.
	px.set(always(slow))
	child := startChild(t, dir, px.URL(), srv.DeskToken)
	eventually(t, 20*time.Second, "a third delivered", func() bool { return len(srv.Deliveries(p.Code)) >= n/3 })
	require.NoError(t, child.Process.Kill()) // SIGKILL on Unix: no chance to tidy up.
	_ = child.Wait()
	killedAt := len(srv.Deliveries(p.Code))
	t.Logf("killed after %d of %d deliveries reached the shop", killedAt, n)
	require.Less(t, killedAt, n, "killed mid-drain")

	// Restarted, it finishes; nothing is lost and nothing sent twice.
	px.set(nil)
	child = startChild(t, dir, srv.URL, srv.DeskToken)
	done := make(chan error, 1)
	go func() { done <- child.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("restarted desk did not drain its outbox")
	}
	got := srv.Deliveries(p.Code)
	require.Len(t, got, n)
	for _, dl := range got {
		require.True(t, ids[dl.ID], "unknown delivery %s", dl.ID)
		delete(ids, dl.ID)
	}
	require.Equal(t, n, srv.Purchase(p.Code).Lines[0].Delivered)

	d = MustOpenDir(t, dir, srv.URL, srv.DeskToken)
	require.Equal(t, 0, d.Status().Pending)
	require.Equal(t, 0, d.Status().Conflicts)
}
