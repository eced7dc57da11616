package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/ledger"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/sqlite"
)

// newDataDir writes a data directory with a collection of n indicators and
// a ledger of n disclosures, closed.
func newDataDir(t *testing.T, n int) string {
	t.Helper()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	db, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	col := &tearline.Collection{Alias: "intel", Title: "Intel"}
	if err := db.CreateCollection(ctx, col); err != nil {
		t.Fatal(err)
	}
	v := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var objs []*tearline.Object
	for i := range n {
		id := fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", i)
		objs = append(objs, &tearline.Object{ID: id, Type: "indicator", SpecVersion: "2.1", Version: v,
			Raw: []byte(fmt.Sprintf(`{"type":"indicator","id":%q, "n": %d}`, id, i))})
	}
	if _, err := db.AddObjects(ctx, col.ID, objs); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	lg, err := ledger.Open(filepath.Join(dir, ledger.DirName), ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		lg.Record(ledger.Disclosure{Org: "identity--x", Path: ledger.PathObjects, Object: objs[i].ID,
			Version: "2024-01-01T00:00:00.000Z", Decision: marking.Whole})
	}
	if err := lg.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCreateVerifyRestore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	data := newDataDir(t, 40)
	os.WriteFile(filepath.Join(data, "notes.txt"), []byte("x"), 0o600)
	out := filepath.Join(t.TempDir(), "backup")
	m, skipped, err := Create(ctx, data, out, Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) != 1 || skipped[0] != "notes.txt" {
		t.Errorf("skipped %v", skipped)
	}
	if m.Database.Tables["objects"] != 40 || m.Ledger == nil || m.Ledger.Disclosures != 40 || m.Ledger.Records != 41 || m.Tearline != "test" {
		t.Errorf("manifest %+v, ledger %+v", m.Database, m.Ledger)
	}
	if _, err := Verify(ctx, out); err != nil {
		t.Fatal(err)
	}
	restored := filepath.Join(t.TempDir(), "restored")
	if _, err := Restore(ctx, out, restored); err != nil {
		t.Fatal(err)
	}
	rep, err := ledger.Verify(filepath.Join(restored, ledger.DirName), ledger.VerifyOptions{Anchor: m.Ledger.Head})
	if err != nil || rep.Head != m.Ledger.Head {
		t.Fatalf("restored ledger: %+v, %v", rep, err)
	}
	db, err := sqlite.Open(ctx, restored)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	col, err := db.FindCollection(ctx, "intel")
	if err != nil {
		t.Fatal(err)
	}
	page, err := db.QueryObjects(ctx, tearline.ObjectQuery{CollectionID: col.ID, Limit: 100})
	if err != nil || len(page.Entries) != 40 || !strings.Contains(string(page.Entries[7].Raw), `, "n": 7}`) {
		t.Fatalf("restored objects: %d, %v", len(page.Entries), err)
	}

	// Restore refuses a directory with anything in it, and leaves it be.
	if _, err := Restore(ctx, out, restored); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("restore over a store: %v", err)
	}
	// Create refuses to write over a backup.
	if _, _, err := Create(ctx, data, out, Options{}); err == nil {
		t.Error("backup over a backup")
	}
}

func TestWithoutLedger(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	data := newDataDir(t, 3)
	os.RemoveAll(filepath.Join(data, ledger.DirName))
	out := filepath.Join(t.TempDir(), "b")
	m, _, err := Create(ctx, data, out, Options{})
	if err != nil || m.Ledger != nil {
		t.Fatalf("%+v, %v", m, err)
	}
	if _, err := os.Stat(filepath.Join(out, ledger.DirName)); !os.IsNotExist(err) {
		t.Errorf("empty ledger directory in the backup: %v", err)
	}
	restored := filepath.Join(t.TempDir(), "r")
	if _, err := Restore(ctx, out, restored); err != nil {
		t.Fatal(err)
	}
}

// TestTampering changes a backup in each way Verify and Restore must catch,
// and checks that a failed Restore leaves nothing behind.
func TestTampering(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	data := newDataDir(t, 30)
	clean := filepath.Join(t.TempDir(), "clean")
	if _, _, err := Create(ctx, data, clean, Options{}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		change func(t *testing.T, dir string)
	}{
		{"database byte", func(t *testing.T, dir string) { flipByte(t, filepath.Join(dir, sqlite.FileName), 0.6) }},
		{"ledger byte", func(t *testing.T, dir string) {
			flipByte(t, filepath.Join(dir, ledger.DirName, "disclosures-000001.log"), 0.5)
		}},
		{"ledger segment removed", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, ledger.DirName, "disclosures-000001.log"))
		}},
		{"manifest head", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m *Manifest) { m.Ledger.Head = strings.Repeat("0", 64) })
		}},
		{"manifest counts", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m *Manifest) { m.Database.Tables["objects"]++ })
		}},
		{"manifest content hash and file hash agree, summary does not", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m *Manifest) { m.Database.Objects = strings.Repeat("a", 64) })
		}},
		{"manifest missing", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, ManifestName)) }},
		{"manifest of another format", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m *Manifest) { m.Format = "tearline-backup/2" })
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "b")
			copyDir(t, clean, dir)
			tt.change(t, dir)
			if _, err := Verify(ctx, dir); err == nil {
				t.Error("Verify passed")
			}
			restored := filepath.Join(t.TempDir(), "r")
			os.Mkdir(restored, 0o700)
			if _, err := Restore(ctx, dir, restored); err == nil {
				t.Fatal("Restore passed")
			}
			if des, _ := os.ReadDir(restored); len(des) != 0 {
				t.Errorf("a failed restore left %d entries", len(des))
			}
		})
	}
	var be *ledger.BrokenError
	dir := filepath.Join(t.TempDir(), "b")
	copyDir(t, clean, dir)
	editManifest(t, dir, func(m *Manifest) { m.Ledger.Head = strings.Repeat("0", 64) })
	if _, err := Verify(ctx, dir); !errors.As(err, &be) {
		t.Errorf("a head not in the chain: %v, want a *ledger.BrokenError", err)
	}
}

func flipByte(t *testing.T, path string, at float64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[int(float64(len(b))*at)] ^= 0x20
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func editManifest(t *testing.T, dir string, edit func(*Manifest)) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(&m)
	b, _ = json.Marshal(&m)
	if err := os.WriteFile(filepath.Join(dir, ManifestName), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestParseManifest(t *testing.T) {
	t.Parallel()
	good, err := os.ReadFile(filepath.Join("testdata", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseManifest(good); err != nil {
		t.Fatalf("the example manifest: %v", err)
	}
	s := string(good)
	for name, bad := range map[string]string{
		"unknown member":      strings.Replace(s, `"format"`, `"extra": 1, "format"`, 1),
		"other format":        strings.Replace(s, Format, "tearline-backup/9", 1),
		"database elsewhere":  strings.Replace(s, `"file": "tearline.db"`, `"file": "../../etc/passwd"`, 1),
		"segment elsewhere":   strings.Replace(s, `"name": "disclosures-000001.log"`, `"name": "../x.log"`, 1),
		"short hash":          strings.Replace(s, `"head": "`, `"head": "ab`, 1),
		"failed integrity":    strings.Replace(s, `"integrity": "ok"`, `"integrity": "row 3 missing"`, 1),
		"trailing data":       s + "{}",
		"not json":            "MANIFEST",
		"negative row count":  strings.Replace(s, `"objects": 40`, `"objects": -1`, 1),
		"repeated segment":    strings.Replace(s, `"name": "disclosures-000002.log"`, `"name": "disclosures-000001.log"`, 1),
		"ledger without head": strings.Replace(s, `"head": "`, `"head_was": "`, 1),
	} {
		if bad == s {
			t.Fatalf("%s: the replacement did not apply", name)
		}
		if _, err := ParseManifest([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzParseManifest checks that ParseManifest never panics and that what
// it accepts names only files inside the backup directory.
func FuzzParseManifest(f *testing.F) {
	good, err := os.ReadFile(filepath.Join("testdata", "manifest.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"format":"tearline-backup/1"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if err != nil {
			return
		}
		if m.Database.File != sqlite.FileName {
			t.Fatalf("accepted database file %q", m.Database.File)
		}
		if m.Ledger != nil {
			for _, s := range m.Ledger.Segments {
				if filepath.Base(s.Name) != s.Name || strings.Contains(s.Name, "..") {
					t.Fatalf("accepted segment %q", s.Name)
				}
			}
		}
	})
}
