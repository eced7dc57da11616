package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/tearline/tearline/bus/bustest"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/postgres/pgtest"
)

// TestTwoNodesPushWake runs two `tearline serve` processes over one
// PostgreSQL database with a NATS bus, and a push link, run every hour,
// from their collection to a third server. Objects posted to the node
// that does not run the link reach the third server at once: the change
// event crosses the bus, wakes the other node's feed reader (its poll is
// an hour too), and that wakes the link.
func TestTwoNodesPushWake(t *testing.T) {
	if os.Getenv(pgtest.EnvURL) == "" {
		t.Skipf("the two-node test needs PostgreSQL: set %s to a database such as postgres://postgres@127.0.0.1:5432/test?sslmode=disable", pgtest.EnvURL)
	}
	t.Parallel()
	store := pgtest.URL(t)
	natsURL := bustest.URL(t)
	busName := bustest.Name(t, natsURL)
	bin := buildBinary(t)

	// The third server, on SQLite: the nodes' organization may write to
	// its inbox.
	remoteData := t.TempDir()
	cli(t, "org", "add", "--data", remoteData, "--name", "national")
	remoteKey := cli(t, "key", "create", "--data", remoteData, "--org", "national", "--role", "contributor")
	inbox := cli(t, "collection", "add", "--data", remoteData, "--title", "Inbox", "--alias", "inbox", "--write", "national", "--read", "national")
	cfg := defaultServeConfig()
	cfg.Data, cfg.Listen = remoteData, "127.0.0.1:0"
	remote := boot(t, cfg)

	// The peer's organization exists before the collection it reads.
	cli(t, "peer", "add", "remote", "--store", store, "--url", remote.URL()+"/taxii2/default/", "--token", remoteKey,
		"--country", "US", "--ceiling", "amber")
	token, colID := acmeStore(t, store, "--read", "remote")
	link := cli(t, "peer", "link", "add", "remote", "--store", store, "--push", "--collection", colID, "--remote", "inbox", "--interval", "1h")

	dir := t.TempDir()
	nodes := map[string]*child{}
	for _, name := range []string{"a", "b"} {
		nodes[name] = startNode(t, bin, filepath.Join(dir, name),
			"--store", store, "--bus", natsURL, "--bus-name", busName, "--bus-node", name, "--bus-lease-ttl", "2s",
			"--feed-poll", "1h", "--log-level", "debug")
	}
	runner := waitEitherLog(t, nodes, "federation: this node runs the link", link)
	other := "a"
	if runner == "a" {
		other = "b"
	}
	// The link's first run, at its start, finds nothing to push: from
	// here on only a wake can run it within the hour.
	waitLog(t, nodes[runner].log, `"msg":"federation link run"`, link)

	c := &liveClient{base: nodes[other].base, token: token, col: colID, hc: &http.Client{Timeout: time.Minute}}
	var list [][]byte
	for i := range 20 {
		list = append(list, fmt.Appendf(nil, `{"type":"indicator","spec_version":"2.1","id":"indicator--%s","created":"2025-01-01T00:00:00.000Z",`+
			`"modified":"2025-01-01T00:00:00.000Z","name":"wake %d","pattern":"[ipv4-addr:value = '203.0.113.%d']",`+
			`"pattern_type":"stix","valid_from":"2025-01-01T00:00:00Z","object_marking_refs":[%q]}`, uuid.NewString(), i, i, marking.TLP2Green))
	}
	ids, err := c.post(context.Background(), list)
	if err != nil || len(ids) != len(list) {
		t.Fatalf("post to node %s: %v (%d stored)", other, err, len(ids))
	}
	posted := time.Now()
	rc := &liveClient{base: remote.URL(), token: remoteKey, col: inbox, hc: &http.Client{Timeout: time.Minute}}
	deadline := time.Now().Add(30 * time.Second)
	for {
		page, err := rc.page(context.Background(), "", 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Objects) == len(ids) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the remote inbox holds %d of the %d objects posted to node %s 30s before; node %s runs the link; its log:\n%s",
				len(page.Objects), len(ids), other, runner, readFile(nodes[runner].log))
		}
		time.Sleep(50 * time.Millisecond) // polling another server's collection
	}
	t.Logf("objects posted to node %s reached the remote server %v later, pushed by node %s", other, time.Since(posted), runner)

	for _, n := range nodes {
		n.cmd.Process.Signal(syscall.SIGTERM)
		if err := n.cmd.Wait(); err != nil {
			t.Errorf("%s: %v\n%s", n.base, err, readFile(n.log))
		}
	}
}

// waitEitherLog waits until a line of one node's log holds every one of
// parts, and returns that node's name.
func waitEitherLog(t *testing.T, nodes map[string]*child, parts ...string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		for name, n := range nodes {
			for line := range strings.SplitSeq(readFile(n.log), "\n") {
				ok := true
				for _, p := range parts {
					ok = ok && strings.Contains(line, p)
				}
				if ok {
					return name
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no node logged %q within 30s", parts)
		}
		time.Sleep(20 * time.Millisecond) // polling the logs of other processes
	}
}
