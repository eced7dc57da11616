package sqlite

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/tearline/tearline"
)

// attackFile is the MITRE ATT&CK Enterprise bundle in the shared data
// directory beside the repository.
const attackFile = "../../shared/data/attack/enterprise-attack-18.1.json"

// readBundle returns the objects of a STIX bundle with their exact bytes and
// the envelope fields AddObjects needs. It validates nothing: it stands in
// for the stix package in store benchmarks.
func readBundle(tb testing.TB, path string) []*tearline.Object {
	tb.Helper()
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		tb.Skipf("benchmark data %s is absent: %v", path, err)
	} else if err != nil {
		tb.Fatal(err)
	}
	dec := jsontext.NewDecoder(bytes.NewReader(data))
	if _, err := dec.ReadToken(); err != nil { // {
		tb.Fatal(err)
	}
	for {
		name, err := dec.ReadToken()
		if err != nil {
			tb.Fatalf("%s: no objects: %v", path, err)
		}
		if name.String() == "objects" {
			break
		}
		if err := dec.SkipValue(); err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := dec.ReadToken(); err != nil { // [
		tb.Fatal(err)
	}
	var objs []*tearline.Object
	for dec.PeekKind() != ']' {
		raw, err := dec.ReadValue()
		if err != nil {
			tb.Fatal(err)
		}
		var env struct {
			ID          string    `json:"id"`
			Type        string    `json:"type"`
			SpecVersion string    `json:"spec_version"`
			Created     time.Time `json:"created"`
			Modified    time.Time `json:"modified"`
			Revoked     bool      `json:"revoked"`
		}
		if err := json.Unmarshal(raw, &env); err != nil {
			tb.Fatalf("object %d: %v", len(objs), err)
		}
		version := env.Modified
		if version.IsZero() {
			version = env.Created
		}
		objs = append(objs, &tearline.Object{
			ID: env.ID, Type: env.Type, SpecVersion: env.SpecVersion,
			Version: version, Created: env.Created, Revoked: env.Revoked,
			Raw: bytes.Clone(raw),
		})
	}
	return objs
}

// BenchmarkAddObjects imports MITRE ATT&CK Enterprise (24,772 objects,
// 50.7 MB) into a new store in batches, as the ingest pipeline does, and
// reports objects/s for the store alone (no JSON parsing or validation).
func BenchmarkAddObjects(b *testing.B) {
	objs := readBundle(b, attackFile)
	size := 0
	for _, o := range objs {
		size += len(o.Raw)
	}
	for _, batch := range []int{1000, 5000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			ctx := context.Background()
			b.SetBytes(int64(size))
			var elapsed time.Duration
			for range b.N {
				b.StopTimer()
				db, err := Open(ctx, b.TempDir())
				if err != nil {
					b.Fatal(err)
				}
				c := &tearline.Collection{Alias: "attack"}
				if err := db.CreateCollection(ctx, c); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start := time.Now()
				for i := 0; i < len(objs); i += batch {
					res, err := db.AddObjects(ctx, c.ID, objs[i:min(i+batch, len(objs))])
					if err != nil {
						b.Fatal(err)
					}
					for _, r := range res {
						if r.Status != tearline.Added {
							b.Fatalf("status %v, want added", r.Status)
						}
					}
				}
				elapsed += time.Since(start)
				b.StopTimer()
				if err := db.Close(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(len(objs)*b.N)/elapsed.Seconds(), "objects/s")
		})
	}
}

// BenchmarkReAddObjects adds ATT&CK to a store that already holds it: every
// object is a duplicate, the common case of a periodic re-import.
func BenchmarkReAddObjects(b *testing.B) {
	objs := readBundle(b, attackFile)
	ctx := context.Background()
	db := openTest(b)
	c := &tearline.Collection{Alias: "attack"}
	if err := db.CreateCollection(ctx, c); err != nil {
		b.Fatal(err)
	}
	if _, err := db.AddObjects(ctx, c.ID, objs); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		for i := 0; i < len(objs); i += 1000 {
			if _, err := db.AddObjects(ctx, c.ID, objs[i:min(i+1000, len(objs))]); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(objs)*b.N)/b.Elapsed().Seconds(), "objects/s")
}

// BenchmarkQueryObjects pages through ATT&CK 1000 entries at a time, as a
// TAXII client fetching the whole collection does.
func BenchmarkQueryObjects(b *testing.B) {
	objs := readBundle(b, attackFile)
	ctx := context.Background()
	db := openTest(b)
	c := &tearline.Collection{Alias: "attack"}
	if err := db.CreateCollection(ctx, c); err != nil {
		b.Fatal(err)
	}
	if _, err := db.AddObjects(ctx, c.ID, objs); err != nil {
		b.Fatal(err)
	}
	for _, noRaw := range []bool{false, true} {
		b.Run(fmt.Sprintf("noraw=%v", noRaw), func(b *testing.B) {
			for range b.N {
				q := tearline.ObjectQuery{CollectionID: c.ID, Limit: 1000, NoRaw: noRaw}
				n := 0
				for {
					page, err := db.QueryObjects(ctx, q)
					if err != nil {
						b.Fatal(err)
					}
					n += len(page.Entries)
					if !page.More {
						break
					}
					q.AddedAfter = page.Entries[len(page.Entries)-1].DateAdded
				}
				if n != len(objs) {
					b.Fatalf("read %d entries, want %d", n, len(objs))
				}
			}
			b.ReportMetric(float64(len(objs)*b.N)/b.Elapsed().Seconds(), "objects/s")
		})
	}
}
