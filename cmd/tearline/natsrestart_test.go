package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/tearline/tearline/bus/bustest"
	"github.com/tearline/tearline/postgres/pgtest"
)

// natsProcess is a nats-server process of the test's own, with JetStream
// storing in dir.
type natsProcess struct {
	bin, dir string
	port     int
	cmd      *exec.Cmd
}

// start runs the server and waits until it answers.
func (p *natsProcess) start(t *testing.T) {
	t.Helper()
	log, err := os.OpenFile(filepath.Join(p.dir, "nats.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	p.cmd = exec.Command(p.bin, "-a", "127.0.0.1", "-p", fmt.Sprint(p.port), "-js", "-sd", filepath.Join(p.dir, "store"))
	p.cmd.Stdout, p.cmd.Stderr = log, log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	cmd := p.cmd
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		nc, err := nats.Connect(p.url(), nats.Timeout(time.Second), nats.NoReconnect())
		if err == nil {
			nc.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nats-server did not answer within 30s: %v\n%s", err, readFile(filepath.Join(p.dir, "nats.log")))
		}
		time.Sleep(20 * time.Millisecond) // polling a process that is starting
	}
}

// kill stops the server with SIGKILL: no goodbye to its clients, and
// JetStream recovers its store on the next start.
func (p *natsProcess) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()
}

func (p *natsProcess) url() string { return fmt.Sprintf("nats://127.0.0.1:%d", p.port) }

// freePort returns a TCP port of 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestTwoNodesNATSKilled runs two `tearline serve` processes over one
// PostgreSQL database with a bus on a nats-server process of the test's
// own, and kills that process with SIGKILL while both nodes run. Objects
// posted to node a meanwhile are stored, and reach the event stream on
// node b once nats-server runs again on its store (b's feed poll is an
// hour, so that only the bus can wake it); objects posted after that
// reach it too, and a's webhook subscription delivers them all.
func TestTwoNodesNATSKilled(t *testing.T) {
	if os.Getenv(pgtest.EnvURL) == "" {
		t.Skipf("the two-node test needs PostgreSQL: set %s to a database such as postgres://postgres@127.0.0.1:5432/test?sslmode=disable", pgtest.EnvURL)
	}
	natsBin, err := exec.LookPath("nats-server")
	if err != nil {
		if _, err := os.Stat("/usr/sbin/nats-server"); err != nil {
			t.Skip("no nats-server command (Debian package nats-server)")
		}
		natsBin = "/usr/sbin/nats-server"
	}
	t.Parallel()
	ns := &natsProcess{bin: natsBin, dir: t.TempDir(), port: freePort(t)}
	ns.start(t)
	store := pgtest.URL(t)
	busName := bustest.Name(t, ns.url())
	bin := buildBinary(t)

	token, colID := acmeStore(t, store)
	rcv, hookURL := hookServer(t)
	sub := cli(t, "subscription", "add", "--store", store, "--org", "acme",
		"--filter", `{"types":["indicator"]}`, "--webhook", hookURL+"/hook")
	streamSub := cli(t, "subscription", "add", "--store", store, "--org", "acme", "--filter", `{"types":["indicator"]}`)

	dir := t.TempDir()
	node := func(name string) *child {
		return startNode(t, bin, filepath.Join(dir, name),
			"--store", store, "--bus", ns.url(), "--bus-name", busName, "--bus-node", name, "--bus-lease-ttl", "2s",
			"--feed-poll", "1h", "--webhook-backoff", "100ms", "--webhook-max-backoff", "1s")
	}
	a := node("a")
	waitLog(t, a.log, `"subscription":"`+sub+`"`, "this node delivers the subscription")
	b := node("b")
	ca := &liveClient{base: a.base, token: token, col: colID, hc: &http.Client{Timeout: time.Minute}}
	stream := openSSE(t, b.base+"/api/v1/stream/?subscription="+streamSub, token)

	var want []string
	postBatch := func(tag string) {
		t.Helper()
		want = append(want, postIndicators(t, ca, tag)...)
	}
	postBatch("before")
	stream.take(t, want)
	rcv.wait(t, []string{sub}, want)

	ns.kill(t)
	// Posted while the bus is down: stored all the same.
	postBatch("down")
	ns.start(t)
	restarted := time.Now()
	// Node b heard of no change while the bus was down: its reader looks
	// at the feed again once the bus is back.
	stream.take(t, want)
	t.Logf("the stream on node b had what was posted to node a while the bus was down %v after nats-server started again", time.Since(restarted))
	postBatch("after")
	stream.take(t, want)
	rcv.wait(t, []string{sub}, want)

	for _, n := range []*child{a, b} {
		n.cmd.Process.Signal(syscall.SIGTERM)
		if err := n.cmd.Wait(); err != nil {
			t.Errorf("%s: %v\n%s", n.base, err, readFile(n.log))
		}
	}
}

// TestStreamEndsOnStop stops a server holding an event stream open: the
// stream ends as the stop begins, and the server exits cleanly long before
// its --shutdown-timeout of an hour.
func TestStreamEndsOnStop(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	cli(t, "org", "add", "--data", data, "--name", "acme")
	token := cli(t, "key", "create", "--data", data, "--org", "acme", "--role", "reader")
	bin := buildBinary(t)
	n := startNode(t, bin, data, "--shutdown-timeout", "1h")
	stream := openSSE(t, n.base+"/api/v1/stream/", token)
	if err := n.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- n.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("the server: %v\n%s", err, readFile(n.log))
		}
	case <-time.After(2 * time.Minute):
		t.Fatalf("the server did not exit within 2 minutes of SIGTERM with a stream open; its log:\n%s", readFile(n.log))
	}
	for range stream.ids {
	} // the stream ended: its reader closes ids at the end of the body
}
