package main

import (
	"strings"
	"testing"

	"github.com/tearline/tearline/postgres/pgtest"
)

// TestPeerCommandsOnPostgres runs tearline peer against a PostgreSQL
// store: peers, links and their list, update and delete.
func TestPeerCommandsOnPostgres(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	cli(t, "collection", "add", "--store", url, "--title", "From the hub", "--alias", "from-hub")
	cli(t, "peer", "add", "hub", "--store", url, "--url", "https://hub.example/taxii2/default/", "--token", "t0ken",
		"--country", "US", "--ceiling", "amber")
	if code, _, errOut := run(t, "", "peer", "add", "hub", "--store", url, "--url", "https://hub.example/taxii2/default/"); code == 0 || !strings.Contains(errOut, "taken") {
		t.Errorf("the same peer twice: exit %d, %s", code, errOut)
	}
	link := cli(t, "peer", "link", "add", "hub", "--store", url, "--pull", "--collection", "from-hub", "--remote", "intel", "--interval", "1h")
	if out := cli(t, "peer", "link", "list", "--store", url); !strings.Contains(out, link) || !strings.Contains(out, "from-hub") {
		t.Errorf("link list:\n%s", out)
	}
	cli(t, "peer", "update", "hub", "--store", url, "--ceiling", "clear")
	if out := cli(t, "peer", "list", "--store", url); !strings.Contains(out, "hub") || !strings.Contains(out, "TLP:CLEAR") {
		t.Errorf("peer list after update:\n%s", out)
	}
	cli(t, "peer", "link", "delete", link, "--store", url)
	cli(t, "peer", "delete", "hub", "--store", url)
	if out := cli(t, "peer", "list", "--store", url); strings.Contains(out, "hub") {
		t.Errorf("after delete:\n%s", out)
	}
}
