package main

import (
	"strings"
	"testing"
)

func TestSubscriptionCommands(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	cli(t, "org", "add", "--data", data, "--name", "acme", "--country", "us", "--sector", "energy")
	id := cli(t, "subscription", "add", "--data", data, "--org", "acme", "--name", "energy", "--filter", `{"sectors":["energy"]}`,
		"--webhook", "https://hooks.example.org/acme")
	code, out, errOut := run(t, "", "subscription", "add", "--data", data, "--org", "acme", "--filter", `{"types":["indicatr"]}`)
	if code == 0 || !strings.Contains(errOut, `filter.types[0]: "indicatr" is not a STIX 2.1 object type`) {
		t.Errorf("a bad filter: exit %d, %s%s", code, out, errOut)
	}
	code, _, errOut = run(t, "", "subscription", "add", "--data", data, "--org", "acme", "--filter", `{}`, "--webhook", "ftp://x")
	if code == 0 || !strings.Contains(errOut, "webhook.url") {
		t.Errorf("a bad webhook: exit %d, %s", code, errOut)
	}
	list := cli(t, "subscription", "list", "--data", data, "--org", "acme")
	if !strings.Contains(list, id) || !strings.Contains(list, "https://hooks.example.org/acme") || !strings.Contains(list, `{"sectors":["energy"]}`) {
		t.Errorf("list:\n%s", list)
	}
	if out := cli(t, "subscription", "dead-letters", "--data", data, id); strings.Count(out, "\n") != 0 {
		t.Errorf("dead letters of a new subscription:\n%s", out)
	}
	cli(t, "subscription", "delete", "--data", data, id)
	if list := cli(t, "subscription", "list", "--data", data); strings.Contains(list, id) {
		t.Errorf("deleted subscription still listed:\n%s", list)
	}
	if code, _, _ := run(t, "", "subscription", "delete", "--data", data, id); code == 0 {
		t.Errorf("deleting again succeeded")
	}
}
