// Package bustest gives tests a NATS server with JetStream and names of
// their own on it: the server that TEARLINE_TEST_NATS names, else the one
// on 127.0.0.1:4222 when it answers with JetStream, else an embedded
// server started for the test.
package bustest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tearline/tearline/bus"
)

// EnvURL names the NATS server of the tests, e.g. nats://127.0.0.1:4222.
const EnvURL = "TEARLINE_TEST_NATS"

// LocalURL is the NATS server tried when EnvURL is not set.
const LocalURL = "nats://127.0.0.1:4222"

// URL returns the URL of a NATS server with JetStream: EnvURL's, else
// LocalURL when it answers with JetStream, else an embedded server on a
// free port of 127.0.0.1, stopped when the test ends. It fails the test
// when EnvURL names a server that cannot be used.
func URL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv(EnvURL); u != "" {
		if err := check(u); err != nil {
			t.Fatalf("bustest: %s=%s: %v", EnvURL, u, err)
		}
		return u
	}
	if check(LocalURL) == nil {
		return LocalURL
	}
	return Embedded(t)
}

// Embedded starts a NATS server with JetStream on a free port of
// 127.0.0.1 for the test and returns its URL.
func Embedded(t testing.TB) string {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true,
		StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatalf("bustest: embedded NATS server: %v", err)
	}
	go s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		s.Shutdown()
		t.Fatal("bustest: the embedded NATS server did not start within 30s")
	}
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	return s.ClientURL()
}

// check connects to url and asks for JetStream's account information.
func check(url string) error {
	nc, err := nats.Connect(url, nats.Timeout(2*time.Second), nats.NoReconnect())
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = js.AccountInfo(ctx)
	return err
}

// Name returns a deployment name of the test's own (for bus.Config.Name)
// and removes its stream and buckets from the server at url when the test
// ends.
func Name(t testing.TB, url string) string {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	name := "tearline-test-" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		nc, err := nats.Connect(url, nats.Timeout(2*time.Second), nats.NoReconnect())
		if err != nil {
			return // an embedded server already stopped
		}
		defer nc.Close()
		js, err := jetstream.New(nc)
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = js.DeleteStream(ctx, bus.StreamName(name))
		_ = js.DeleteKeyValue(ctx, bus.BucketName(name))
		_ = js.DeleteKeyValue(ctx, bus.NodesBucketName(name))
	})
	return name
}
