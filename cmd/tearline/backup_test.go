package main

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tearline/tearline/backup"
)

// TestBackupWhileServing runs the real server, backs it up with tearline
// backup while clients go on posting and reading, restores the backup into
// a new data directory with tearline restore, and serves it: the restored
// server holds every object acknowledged before the backup began, serves
// the original's objects byte for byte in the same order (a prefix of
// them: the snapshot is a moment of the store), and its ledger verifies up
// to the head the backup recorded.
func TestBackupWhileServing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cli(t, "org", "add", "--data", data, "--name", "acme")
	token := cli(t, "key", "create", "--data", data, "--org", "acme", "--role", "contributor")
	colID := cli(t, "collection", "add", "--data", data, "--title", "Intel", "--read", "acme", "--write", "acme")
	cfg := defaultServeConfig()
	cfg.Data, cfg.Listen = data, "127.0.0.1:0"
	cfg.RateLimit, cfg.MaxConcurrent = 0, 0 // the clients below go as fast as they can
	srv := boot(t, cfg)
	c := &liveClient{base: srv.URL(), token: token, col: colID, hc: &http.Client{}}

	sent := map[string][]byte{} // every object ever posted, by id
	var mu sync.Mutex
	postBatch := func(tag string, n int) ([]string, error) {
		var objs [][]byte
		mu.Lock()
		for i := range 5 {
			id, raw := liveIndicator(tag, n*5+i)
			sent[id] = raw
			objs = append(objs, raw)
		}
		mu.Unlock()
		return c.post(ctx, objs)
	}
	var before []string // acknowledged before the backup began
	for n := range 10 {
		ids, err := postBatch("before", n)
		if err != nil {
			t.Fatal(err)
		}
		before = append(before, ids...)
	}
	if _, err := c.all(ctx); err != nil { // some disclosures for the ledger
		t.Fatal(err)
	}

	// Writers and a reader keep going while the backup runs.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for w := range 2 {
		wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := postBatch("during"+string(rune('a'+w)), n); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := c.page(ctx, "", 20); err != nil {
				errs <- err
				return
			}
		}
	})
	out := filepath.Join(dir, "backup")
	code, stdout, stderr := run(t, "", "backup", "--data", data, out)
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("client during the backup: %v", err)
	}
	if code != 0 || !strings.Contains(stdout, "backup of") {
		t.Fatalf("tearline backup: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if out := cli(t, "restore", "--verify-only", out); !strings.Contains(out, "verified") {
		t.Errorf("restore --verify-only: %s", out)
	}
	m, err := backup.Verify(ctx, out)
	if err != nil {
		t.Fatal(err)
	}

	restored := filepath.Join(dir, "restored")
	if out := cli(t, "restore", out, "--data", restored); !strings.Contains(out, "restored into") {
		t.Errorf("restore: %s", out)
	}
	// The restored ledger ends at the head the backup recorded.
	if out := cli(t, "audit", "verify", "--data", restored, "--anchor", m.Ledger.Head); !strings.Contains(out, m.Ledger.Head) {
		t.Errorf("audit verify of the restored ledger:\n%s", out)
	}
	// Restore never writes over a store.
	if code, _, errOut := run(t, "", "restore", out, "--data", data); code != 1 || !strings.Contains(errOut, "not empty") {
		t.Errorf("restore over the live data directory: exit %d, %s", code, errOut)
	}

	rcfg := cfg
	rcfg.Data = restored
	rsrv := boot(t, rcfg)
	rc := &liveClient{base: rsrv.URL(), token: token, col: colID, hc: &http.Client{}}
	got, err := rc.all(ctx)
	if err != nil {
		t.Fatal(err)
	}
	orig, err := c.all(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(got)) != m.Database.Collections[colID] || len(got) > len(orig) || len(got) < len(before) {
		t.Fatalf("restored %d objects, backup says %d, original %d, acknowledged before the backup %d",
			len(got), m.Database.Collections[colID], len(orig), len(before))
	}
	for i := range got {
		if !bytes.Equal(got[i], orig[i]) {
			t.Fatalf("object %d differs:\nrestored %s\noriginal %s", i, got[i], orig[i])
		}
		if !bytes.Equal(got[i], sent[idOf(got[i])]) {
			t.Fatalf("object %d is not what was posted: %s", i, got[i])
		}
	}
	have := map[string]bool{}
	for _, o := range got {
		have[idOf(o)] = true
	}
	for _, id := range before {
		if !have[id] {
			t.Errorf("%s, acknowledged before the backup, is not in it", id)
		}
	}
	t.Logf("backup: %d of %d objects (%d acknowledged before it began), ledger head %d",
		len(got), len(orig), len(before), m.Ledger.HeadSeq)

	// The restored server takes writes and extends the restored ledger.
	if _, err := rc.post(ctx, [][]byte{sent[before[0]]}); err != nil {
		t.Fatal(err)
	}
}
