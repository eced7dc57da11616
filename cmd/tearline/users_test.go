package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestUserCommandsAndPortal manages portal users with the CLI and signs
// in to the portal of the real server with one.
func TestUserCommandsAndPortal(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	cli(t, "org", "add", "--data", data, "--name", "acme")
	const pw = "a long enough password\n"
	if code, out, errOut := run(t, pw, "user", "add", "ana", "--data", data, "--org", "acme", "--role", "analyst"); code != 0 {
		t.Fatalf("user add: %d %s %s", code, out, errOut)
	}
	for _, bad := range []struct {
		stdin string
		args  []string
	}{
		{pw, []string{"user", "add", "ana", "--data", data, "--org", "acme", "--role", "analyst"}},
		{pw, []string{"user", "add", "bo", "--data", data, "--org", "nobody", "--role", "analyst"}},
		{pw, []string{"user", "add", "bo", "--data", data, "--org", "acme", "--role", "king"}},
		{"short\n", []string{"user", "add", "bo", "--data", data, "--org", "acme", "--role", "reader"}},
		{"", []string{"user", "add", "bo", "--data", data, "--org", "acme", "--role", "reader"}},
		{pw, []string{"user", "passwd", "nobody", "--data", data}},
		{"", []string{"user", "remove", "nobody", "--data", data}},
	} {
		if code, _, _ := run(t, bad.stdin, bad.args...); code == 0 {
			t.Errorf("tearline %v: exit 0", bad.args)
		}
	}
	if out := cli(t, "user", "list", "--data", data); !strings.Contains(out, "ana") || !strings.Contains(out, "acme") || !strings.Contains(out, "analyst") {
		t.Errorf("user list:\n%s", out)
	}

	cfg := defaultServeConfig()
	cfg.Data, cfg.Listen = data, "127.0.0.1:0"
	srv := boot(t, cfg)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	res, err := c.Get(srv.URL() + "/ui/signin")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("sign-in page: %d %s", res.StatusCode, body)
	}
	res, err = c.PostForm(srv.URL()+"/ui/signin", url.Values{"csrf": {string(m[1])}, "method": {"password"},
		"username": {"ana"}, "password": {strings.TrimSpace(pw)}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "ana · acme · analyst") {
		t.Errorf("after sign-in: %d %s", res.StatusCode, body)
	}
	// The API still answers beside the portal.
	if res, err := http.Get(srv.URL() + "/taxii2/"); err != nil || res.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous discovery: %v %v", res, err)
	}
}
