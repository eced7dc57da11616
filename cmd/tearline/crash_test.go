package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tearline/tearline/ledger"
	"github.com/tearline/tearline/sqlite"
)

// crashRounds is the number of SIGKILLs of TestCrashSafety: 3 by default
// (CI), TEARLINE_CRASH_ROUNDS for the long run (20 or more).
func crashRounds(t *testing.T) int {
	v := os.Getenv("TEARLINE_CRASH_ROUNDS")
	if v == "" {
		return 3
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("TEARLINE_CRASH_ROUNDS=%q: want a positive number", v)
	}
	return n
}

// buildBinary builds the tearline binary into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to build the binary: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "tearline")
	cmd := exec.Command(goBin, "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// child is a `tearline serve` process.
type child struct {
	cmd  *exec.Cmd
	base string // http://127.0.0.1:port
	log  string // its stderr (JSON log)
}

var servingLine = regexp.MustCompile(`serving TAXII 2.1 at (http://[0-9.:]+)/taxii2/`)

// startChild starts the binary serving data on a free port and waits until
// it has bound its listener.
func startChild(t *testing.T, bin, data string, round int) *child {
	t.Helper()
	logPath := filepath.Join(filepath.Dir(data), fmt.Sprintf("serve-%02d.log", round))
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(bin, "serve", "--data", data, "--listen", "127.0.0.1:0", "--rate-limit", "0", "--max-concurrent", "0")
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, log: logPath}
	lines := bufio.NewScanner(stdout)
	found := make(chan string, 1)
	go func() {
		for lines.Scan() {
			if m := servingLine.FindStringSubmatch(lines.Text()); m != nil {
				found <- m[1]
			}
		}
		close(found)
	}()
	select {
	case base, ok := <-found:
		if !ok {
			cmd.Wait()
			t.Fatalf("round %d: the server exited before serving; its log:\n%s", round, readFile(logPath))
		}
		c.base = base
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("round %d: the server did not start within 60s; its log:\n%s", round, readFile(logPath))
	}
	return c
}

func readFile(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}

// cursor is a next token and the ids of the page it gave.
type cursor struct {
	next string
	ids  []string
}

// crashState is what the clients learned across rounds.
type crashState struct {
	mu      sync.Mutex
	sent    map[string][]byte // every object ever posted, by id
	acked   map[string]bool   // ids a status reported as successes
	cursors []cursor
	pending []string // ids of background submissions answered 202 pending
}

func (s *crashState) remember(objs map[string][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, raw := range objs {
		s.sent[id] = raw
	}
}

func (s *crashState) ack(ids []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		s.acked[id] = true
	}
}

// TestCrashSafety builds the real binary, serves a fresh data directory,
// posts envelopes from several clients (and one large envelope processed
// in the background) while reading pages, kills the server with SIGKILL at
// a random moment, and restarts it, crashRounds times. After each crash it
// checks that every object a status acknowledged is served byte for byte,
// that background submissions answered 202 complete after the restart,
// that the database passes PRAGMA integrity_check, that next tokens taken
// before any crash still give the same page, and that the ledger verifies.
func TestCrashSafety(t *testing.T) {
	t.Parallel()
	rounds := crashRounds(t)
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("TEARLINE_CRASH_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
	}
	t.Logf("%d rounds, TEARLINE_CRASH_SEED=%d", rounds, seed)
	rnd := rand.New(rand.NewPCG(seed, 1))
	bin := buildBinary(t)

	data := filepath.Join(t.TempDir(), "data")
	cli(t, "org", "add", "--data", data, "--name", "acme")
	token := cli(t, "key", "create", "--data", data, "--org", "acme", "--role", "contributor")
	colID := cli(t, "collection", "add", "--data", data, "--title", "Intel", "--read", "acme", "--write", "acme")
	st := &crashState{sent: map[string][]byte{}, acked: map[string]bool{}}
	hc := &http.Client{Timeout: time.Minute}
	ctx := context.Background()

	for round := 0; round <= rounds; round++ {
		srv := startChild(t, bin, data, round)
		c := &liveClient{base: srv.base, token: token, col: colID, hc: hc}
		if round > 0 {
			checkAfterCrash(t, ctx, c, st, round)
		}
		if round == rounds {
			// Stop gracefully; then the ledger has no torn tail left.
			srv.cmd.Process.Signal(syscall.SIGTERM)
			if err := srv.cmd.Wait(); err != nil {
				t.Fatalf("graceful stop: %v\n%s", err, readFile(srv.log))
			}
			rep, err := ledger.Verify(filepath.Join(data, ledger.DirName), ledger.VerifyOptions{})
			if err != nil || rep.Torn != 0 {
				t.Fatalf("ledger after the graceful stop: %+v, %v", rep, err)
			}
			checkIntegrity(t, data)
			t.Logf("%d objects acknowledged over %d crashes, %d ledger records, %d next tokens checked",
				len(st.acked), rounds, rep.Records, len(st.cursors))
			return
		}
		runClients(t, ctx, c, st, srv, rnd, round)
		checkIntegrity(t, data)
		if _, err := ledger.Verify(filepath.Join(data, ledger.DirName), ledger.VerifyOptions{}); err != nil {
			t.Fatalf("round %d: ledger after SIGKILL: %v", round, err)
		}
	}
}

// runClients runs writers, a large background submission and a reader
// against srv, and kills srv with SIGKILL at a random moment.
func runClients(t *testing.T, ctx context.Context, c *liveClient, st *crashState, srv *child, rnd *rand.Rand, round int) {
	stop := make(chan struct{})
	acked := make(chan struct{}, 1) // an envelope of this round was acknowledged
	var wg sync.WaitGroup
	stopped := func() bool {
		select {
		case <-stop:
			return true
		default:
			return false
		}
	}
	for w := range 3 {
		wg.Go(func() {
			for n := 0; !stopped(); n++ {
				objs := map[string][]byte{}
				var list [][]byte
				for i := range 1 + (n*7+w)%8 {
					id, raw := liveIndicator(fmt.Sprintf("r%d w%d", round, w), n*8+i)
					objs[id] = raw
					list = append(list, raw)
				}
				st.remember(objs)
				ids, err := c.post(ctx, list)
				if err != nil {
					return // the server is gone
				}
				st.ack(ids)
				select {
				case acked <- struct{}{}:
				default:
				}
			}
		})
	}
	// One envelope above the server's synchronous limit (1000 objects):
	// answered 202 pending at once, stored, processed in the background.
	wg.Go(func() {
		objs := map[string][]byte{}
		var list [][]byte
		for i := range 1500 {
			id, raw := liveIndicator(fmt.Sprintf("r%d bulk", round), i)
			objs[id] = raw
			list = append(list, raw)
		}
		st.remember(objs)
		env := append([]byte(`{"objects":[`), bytes.Join(list, []byte(","))...)
		env = append(env, "]}"...)
		code, body, err := c.do(ctx, "POST", c.objectsURL(), env)
		if err != nil {
			return
		}
		var res struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		}
		if code != http.StatusAccepted || json.Unmarshal(body, &res) != nil {
			t.Errorf("large POST: %d %s", code, body)
			return
		}
		st.mu.Lock()
		st.pending = append(st.pending, res.ID)
		st.mu.Unlock()
	})
	readerRnd := rand.New(rand.NewPCG(rnd.Uint64(), 2)) // rnd is not safe for concurrent use
	wg.Go(func() {
		for !stopped() {
			p, err := c.page(ctx, "", 5)
			if err != nil || !p.More {
				if err != nil {
					return
				}
				continue
			}
			// A page further on, through a next token.
			for range readerRnd.IntN(4) {
				q, err := c.page(ctx, p.Next, 5)
				if err != nil || !q.More {
					break
				}
				p = q
			}
			q, err := c.page(ctx, p.Next, 5)
			if err != nil {
				return
			}
			ids := make([]string, 0, len(q.Objects))
			for _, o := range q.Objects {
				ids = append(ids, idOf(o))
			}
			st.mu.Lock()
			if len(st.cursors) < 8*(round+1) {
				st.cursors = append(st.cursors, cursor{next: p.Next, ids: ids})
			}
			st.mu.Unlock()
		}
	})
	// Once writes go through, crash at a random moment within a second.
	select {
	case <-acked:
	case <-time.After(2 * time.Minute):
		t.Errorf("round %d: no envelope acknowledged within 2 minutes", round)
	}
	time.Sleep(time.Duration(rnd.IntN(1000)) * time.Millisecond)
	srv.cmd.Process.Kill()
	err := srv.cmd.Wait()
	close(stop)
	wg.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("round %d: the server ended with %v, not by SIGKILL; its log:\n%s", round, err, readFile(srv.log))
	}
}

// checkAfterCrash checks the restarted server against what the clients
// were told before the crash.
func checkAfterCrash(t *testing.T, ctx context.Context, c *liveClient, st *crashState, round int) {
	t.Helper()
	st.mu.Lock()
	defer st.mu.Unlock()
	// Background submissions answered 202 finish after the restart.
	for _, id := range st.pending {
		deadline := time.Now().Add(2 * time.Minute)
		for {
			code, body, err := c.do(ctx, "GET", c.base+"/taxii2/default/status/"+id+"/", nil)
			if err != nil || code != 200 {
				t.Fatalf("round %d: status %s after the restart: %d %v %s", round, id, code, err, body)
			}
			var res struct {
				Status       string `json:"status"`
				SuccessCount int    `json:"success_count"`
				Successes    []struct {
					ID string `json:"id"`
				} `json:"successes"`
			}
			json.Unmarshal(body, &res)
			if res.Status == "complete" {
				if res.SuccessCount != 1500 {
					t.Errorf("round %d: background submission %s: %d successes of 1500", round, id, res.SuccessCount)
				}
				for _, s := range res.Successes {
					st.acked[s.ID] = true
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: background submission %s still %s after 2 minutes", round, id, res.Status)
			}
			time.Sleep(50 * time.Millisecond) // polling a status, as TAXII clients do
		}
	}
	st.pending = nil

	all, err := c.all(ctx)
	if err != nil {
		t.Fatalf("round %d: reading back: %v", round, err)
	}
	served := make(map[string][]byte, len(all))
	for _, o := range all {
		id := idOf(o)
		if served[id] != nil {
			t.Errorf("round %d: %s served twice", round, id)
		}
		served[id] = o
		if want, ok := st.sent[id]; !ok || !bytes.Equal(o, want) {
			t.Errorf("round %d: served %s differs from what was posted:\n%s\n%s", round, id, o, want)
		}
	}
	missing := 0
	for id := range st.acked {
		if served[id] == nil {
			missing++
			if missing <= 5 {
				t.Errorf("round %d: acknowledged object %s is gone", round, id)
			}
		}
	}
	if missing > 0 {
		t.Fatalf("round %d: %d of %d acknowledged objects lost", round, missing, len(st.acked))
	}
	for _, cur := range st.cursors {
		p, err := c.page(ctx, cur.next, 5)
		if err != nil {
			t.Fatalf("round %d: next token %s after the restart: %v", round, cur.next, err)
		}
		var ids []string
		for _, o := range p.Objects {
			ids = append(ids, idOf(o))
		}
		// A page that was full is the same; a last page may have grown.
		if len(ids) < len(cur.ids) || !slices.Equal(ids[:len(cur.ids)], cur.ids) {
			t.Fatalf("round %d: next token %s gives %v after the restart, %v before", round, cur.next, ids, cur.ids)
		}
	}
	t.Logf("round %d: %d objects served, %d acknowledged, all present", round, len(all), len(st.acked))
}

// checkIntegrity runs PRAGMA integrity_check on a copy of the database of
// data as the crash left it (the file and its WAL), so that the restarted
// server, not this check, recovers the WAL of the original.
func checkIntegrity(t *testing.T, data string) {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{sqlite.FileName, sqlite.FileName + "-wal"} {
		b, err := os.ReadFile(filepath.Join(data, f))
		if errors.Is(err, os.ErrNotExist) {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res []string
	rows, err := db.Query(`PRAGMA integrity_check`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		rows.Scan(&s)
		res = append(res, s)
	}
	if strings.Join(res, "; ") != "ok" {
		t.Fatalf("integrity_check: %v", res)
	}
}
