package stix_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline/stix"
)

const testBundleID = "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"

// xobj returns a valid custom object numbered n, with extra members (each
// starting with a comma) appended.
func xobj(n int, extra string) string {
	return fmt.Sprintf(`{"type": "x-test", "spec_version": "2.1", "id": "x-test--%08x-0000-4000-8000-000000000000", `+
		`"created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z", "x_n": %d%s}`, n, n, extra)
}

// bundleOf wraps objects in a bundle.
func bundleOf(objects ...string) string {
	return `{"type": "bundle", "id": "` + testBundleID + `", "objects": [` + strings.Join(objects, ", ") + `]}`
}

// readAll reads a bundle with ReadBundle and returns its results and every
// error it reported, rendered: object errors, bundle-level errors and the
// returned error.
func readAll(t *testing.T, r io.Reader) (results []*stix.Result, errs []string, err error) {
	t.Helper()
	bundleIssues, err := stix.ReadBundle(r, func(res *stix.Result) error {
		if res.Index != len(results) || res.Path != fmt.Sprintf("objects[%d]", res.Index) {
			t.Errorf("result %d has index %d and path %q", len(results), res.Index, res.Path)
		}
		if (res.Object == nil) != res.Issues.HasErrors() {
			t.Errorf("%s: object %v with issues %v", res.Path, res.Object, res.Issues)
		}
		results = append(results, res)
		for _, is := range res.Issues.Errors() {
			errs = append(errs, is.String())
		}
		return nil
	})
	for _, is := range bundleIssues.Errors() {
		errs = append(errs, is.String())
	}
	if err != nil {
		errs = append(errs, err.Error())
	}
	return results, errs, err
}

// TestReadBundleBadInput checks that each kind of bad input draws exactly
// one error that says where the problem is.
func TestReadBundleBadInput(t *testing.T) {
	t.Parallel()
	huge := xobj(2, `, "x_blob": "`+strings.Repeat("a", stix.MaxObjectSize)+`"`)
	two := bundleOf(xobj(0, ""), xobj(1, ""))
	deep := xobj(1, `, "x_deep": `+strings.Repeat(`{"a": [`, 500)+strings.Repeat(`]}`, 500))
	tests := []struct {
		name   string
		in     string
		syntax bool     // the error is a *SyntaxError returned by ReadBundle
		want   []string // substrings of the one error
	}{
		{"empty file", ``, true, []string{"byte 0", "empty input"}},
		{"only whitespace", " \n\t ", true, []string{"byte 4", "empty input"}},
		{"top level array", `[` + xobj(0, "") + `]`, true, []string{"byte 0", "must be a JSON object, not a list"}},
		{"top level string", `"bundle"`, true, []string{"byte 0", "not a string"}},
		{"top level number", ` 42`, true, []string{"byte 1", "not a number"}},
		{"top level garbage", `<bundle/>`, true, []string{"byte 0", "found '<'"}},
		{"malformed bundle member", `{"type" "bundle"}`, true, []string{"type (byte 8)", "expected ':'"}},
		{"missing comma between members", `{"type": "bundle" "id": "` + testBundleID + `"}`, true, []string{"byte 18", "expected ',' or '}'"}},
		{"missing comma between objects", `{"type": "bundle", "id": "` + testBundleID + `", "objects": [` + xobj(0, "") + ` ` + xobj(1, "") + `]}`, true,
			[]string{"objects[1] (byte", "expected ',' or ']'"}},
		{"trailing comma in objects", `{"type": "bundle", "id": "` + testBundleID + `", "objects": [` + xobj(0, "") + `,]}`, true,
			[]string{"objects[1] (byte", "expected a JSON value, found ']'"}},
		{"mismatched bracket in an object", bundleOf(xobj(0, ""), `{"type": "x-test", "x_list": [1, 2}`), true,
			[]string{"objects[1].x_list", "expected ',' or ']' after an array element, found '}'"}},
		{"trailing garbage", bundleOf(xobj(0, "")) + " }", true, []string{"unexpected data after the bundle: '}'"}},
		{"second bundle", bundleOf(xobj(0, "")) + bundleOf(xobj(1, "")), true, []string{"unexpected data after the bundle: '{'"}},
		{"duplicate bundle property", `{"type": "bundle", "type": "bundle", "id": "` + testBundleID + `"}`, true,
			[]string{"at type (byte 19)", `duplicate bundle property name "type"`}},
		{"truncated in an object", two[:strings.Index(two, `"2020`)+len(xobj(0, ""))+5], true, []string{"at objects[1].created (byte", "truncated"}},
		{"truncated after an object", two[:strings.Index(two, xobj(1, ""))-2], true, []string{"at objects (byte", "truncated", `"objects" list is not closed`}},
		{"truncated after a comma", two[:strings.Index(two, xobj(1, ""))-1], true, []string{"at objects[1] (byte", "truncated", `nothing follows ','`}},
		{"objects not a list", `{"type": "bundle", "id": "` + testBundleID + `", "objects": {"a": 1}}`, false,
			[]string{`objects: bundle property "objects" must be a list, not an object`}},
		{"empty objects list", `{"type": "bundle", "id": "` + testBundleID + `", "objects": []}`, false,
			[]string{`objects: bundle property "objects" must not be an empty list`}},
		{"wrong bundle type", `{"type": "bundel", "id": "` + testBundleID + `"}`, false, []string{`type: a bundle's "type" must be "bundle", not "bundel"`}},
		{"bundle type not a string", `{"type": ["bundle"], "id": "` + testBundleID + `"}`, false, []string{`type: a bundle's "type" must be "bundle", not a array`}},
		{"bad bundle id", `{"type": "bundle", "id": "bundle--1234"}`, false, []string{`id: a bundle's "id" must be`, "not of the form"}},
		{"missing bundle id", `{"type": "bundle"}`, false, []string{`id: required bundle property "id" is missing`}},
		{"invalid UTF-8 in the bundle id", "{\"type\": \"bundle\", \"id\": \"bundle--\xff\"}", false, []string{"id: invalid UTF-8"}},
		{"object is a string", bundleOf(xobj(0, ""), `"x-test--00000001-0000-4000-8000-000000000000"`), false,
			[]string{"objects[1]: a STIX object must be a JSON object, not a string"}},
		{"object is a number", bundleOf(`12`, xobj(1, "")), false, []string{"objects[0]: a STIX object must be a JSON object, not a number"}},
		{"object is null", bundleOf(`null`), false, []string{"objects[0]: a STIX object must be a JSON object, not a null"}},
		{"object is a bad literal", bundleOf(`nul`), false, []string{"objects[0]: unexpected end of input"}},
		{"malformed JSON in an object", bundleOf(xobj(0, ""), `{"type": "x-test" "id": 1}`), false, []string{"objects[1]: expected ',' or '}' after an object member, found '\"'"}},
		{"created is a number", bundleOf(`{"type": "x-test", "spec_version": "2.1", "id": "x-test--00000000-0000-4000-8000-000000000000", "created": 123, "modified": "2020-01-01T00:00:00.000Z"}`), false,
			[]string{"objects[0].created", "must be a string, not a number"}},
		{"revoked is a string", bundleOf(xobj(0, `, "revoked": "yes"`)), false, []string{"objects[0].revoked", "must be a boolean, not a string"}},
		{"labels is a string", bundleOf(xobj(0, `, "labels": "a"`)), false, []string{"objects[0].labels", "must be a array, not a string"}},
		{"confidence is a string", bundleOf(xobj(0, `, "confidence": "high"`)), false, []string{"objects[0].confidence", "must be a number, not a string"}},
		{"external_references holds a string", bundleOf(xobj(0, `, "external_references": ["x"]`)), false,
			[]string{"objects[0].external_references[0]", "must be a object, not a string"}},
		{"duplicate id, different content", bundleOf(xobj(0, ""), xobj(1, ""), xobj(0, `, "x_other": 1`)), false,
			[]string{"objects[2]: object x-test--00000000-0000-4000-8000-000000000000 version 2020-01-01T00:00:00", "appears again with different content (first at objects[0])"}},
		{"object over 10 MiB", bundleOf(xobj(0, ""), xobj(1, ""), huge, xobj(3, "")), false,
			[]string{fmt.Sprintf("objects[2]: object is %d bytes, larger than the 10485760-byte (10 MiB) limit", len(huge))}},
		{"nested 1,000 deep", bundleOf(deep), false, []string{"objects[0].x_deep" + strings.Repeat(".a[0]", 31) + ".a: nesting deeper than 64 levels"}},
		{"invalid UTF-8 in a string", bundleOf(xobj(0, ", \"x_s\": [\"ok\", \"caf\xe9\"]")), false, []string{"objects[0].x_s[1]: invalid UTF-8"}},
		{"duplicate member names", bundleOf(xobj(0, `, "x_s": "a", "x_s": "b"`)), false, []string{`objects[0].x_s: duplicate member name "x_s"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, errs, err := readAll(t, strings.NewReader(tt.in))
			var se *stix.SyntaxError
			if tt.syntax != errors.As(err, &se) {
				t.Errorf("ReadBundle returned %v; want a *SyntaxError: %v", err, tt.syntax)
			}
			if len(errs) != 1 {
				t.Fatalf("got %d errors, want 1:\n\t%s", len(errs), strings.Join(errs, "\n\t"))
			}
			for _, w := range tt.want {
				if !strings.Contains(errs[0], w) {
					t.Errorf("error %q does not contain %q", errs[0], w)
				}
			}
		})
	}
}

// TestReadBundleWarnings checks cases that are not errors.
func TestReadBundleWarnings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string // the one warning
	}{
		{"identical duplicate", bundleOf(xobj(0, ""), xobj(0, "")),
			"objects[1]: object x-test--00000000-0000-4000-8000-000000000000 is repeated (the same content as objects[0])"},
		{"duplicate formatted differently", bundleOf(xobj(0, ""), strings.ReplaceAll(xobj(0, ""), ", ", ",\n  ")),
			"objects[1]: object x-test--00000000-0000-4000-8000-000000000000 is repeated (the same content as objects[0])"},
		{"no objects", `{"type": "bundle", "id": "` + testBundleID + `"}`, `objects: the bundle has no "objects"`},
		{"spec_version", `{"type": "bundle", "id": "` + testBundleID + `", "spec_version": "2.0", "objects": [` + xobj(0, "") + `]}`,
			`spec_version: bundles have no "spec_version" in STIX 2.1`},
		{"unknown bundle property", `{"x_note": {"a": [1]}, "type": "bundle", "id": "` + testBundleID + `", "objects": [` + xobj(0, "") + `]}`,
			`x_note: bundle property "x_note" is not defined`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var warnings []string
			bundleIssues, err := stix.ReadBundle(strings.NewReader(tt.in), func(res *stix.Result) error {
				if res.Issues.HasErrors() {
					t.Errorf("%s: %v", res.Path, res.Issues)
				}
				for _, is := range res.Issues.Warnings() {
					warnings = append(warnings, is.String())
				}
				return nil
			})
			if err != nil || bundleIssues.HasErrors() {
				t.Fatalf("ReadBundle: %v, %v", bundleIssues, err)
			}
			for _, is := range bundleIssues.Warnings() {
				warnings = append(warnings, is.String())
			}
			if len(warnings) != 1 || !strings.Contains(warnings[0], tt.want) {
				t.Errorf("warnings:\n\t%s\nwant one containing %q", strings.Join(warnings, "\n\t"), tt.want)
			}
		})
	}
}

// TestReadBundleTruncated cuts real bundles at many offsets: the objects
// before the cut are delivered with the same findings as in a full read,
// and the cut draws exactly one *SyntaxError.
func TestReadBundleTruncated(t *testing.T) {
	t.Parallel()
	type file struct {
		name string
		cuts []int
	}
	files := []file{
		{"oasis-examples/poisonivy.json", nil},
		{"oasis-examples/indicator-for-c2-ip-address.json", nil},
		{enterpriseAttack, []int{1, 3, 77, 500, 1 << 20, 3<<20 + 11}},
	}
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			data := readShared(t, f.name)
			cuts := f.cuts
			if cuts == nil {
				for off := 1; off < len(data)-2; off += max(len(data)/40, 7) {
					cuts = append(cuts, off)
				}
				cuts = append(cuts, len(data)-2)
			}
			maxCut := 0
			for _, c := range cuts {
				maxCut = max(maxCut, c)
			}
			// The reference: a complete read of a prefix a little longer
			// than the longest cut (the prefix's own findings about its
			// objects are those of the full file).
			ref, _, _ := readAll(t, bytes.NewReader(data[:min(len(data), maxCut+(4<<20))]))
			for _, cut := range cuts {
				results, errs, err := readAll(t, bytes.NewReader(data[:cut]))
				var se *stix.SyntaxError
				if !errors.As(err, &se) {
					t.Errorf("cut at %d: ReadBundle returned %v, want a *SyntaxError", cut, err)
					continue
				}
				if !strings.Contains(se.Msg, "end of input") || se.Offset > int64(cut) {
					t.Errorf("cut at %d: %v", cut, err)
				}
				if len(results) > len(ref) {
					t.Fatalf("cut at %d: %d results, more than the %d of the reference", cut, len(results), len(ref))
				}
				extra := len(errs)
				for i, res := range results {
					if diff := cmp.Diff(ref[i].Issues, res.Issues); diff != "" || !bytes.Equal(ref[i].Raw, res.Raw) {
						t.Errorf("cut at %d: %s differs from a full read (-full +cut):\n%s", cut, res.Path, diff)
					}
					extra -= len(res.Issues.Errors())
				}
				if extra != 1 {
					t.Errorf("cut at %d: %d errors besides the objects' own, want 1:\n\t%s", cut, extra, strings.Join(errs, "\n\t"))
				}
			}
		})
	}
}

// TestReadBundleReaders reads through readers that return little data at a
// time, which moves every object across buffer refills, and checks the
// results are the same.
func TestReadBundleReaders(t *testing.T) {
	t.Parallel()
	data := readShared(t, "oasis-examples/poisonivy.json")
	big := []byte(bundleOf(xobj(0, `, "x_s": "`+strings.Repeat(`a\"\\`, 100_000)+`"`), xobj(1, ""), `"x"`, `[{"a": "]}"}]`, `-1.5e3`))
	for name, data := range map[string][]byte{"poisonivy": data, "escapes": big} {
		want, wantErrs, err := readAll(t, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		for rname, r := range map[string]io.Reader{
			"one byte": iotest.OneByteReader(bytes.NewReader(data)),
			"half":     iotest.HalfReader(bytes.NewReader(data)),
			"data+EOF": iotest.DataErrReader(bytes.NewReader(data)),
		} {
			got, errs, err := readAll(t, r)
			if err != nil {
				t.Errorf("%s, %s reader: %v", name, rname, err)
			}
			if len(got) != len(want) || !slicesEqual(errs, wantErrs) {
				t.Errorf("%s, %s reader: %d results, errors %q; want %d, %q", name, rname, len(got), errs, len(want), wantErrs)
				continue
			}
			for i := range got {
				if !bytes.Equal(got[i].Raw, want[i].Raw) {
					t.Errorf("%s, %s reader: objects[%d] differs", name, rname, i)
				}
			}
		}
	}
}

func slicesEqual(a, b []string) bool { return strings.Join(a, "\n") == strings.Join(b, "\n") }

// TestReadBundleReadError checks that an error of the underlying reader is
// returned as itself (wrapped), not as a syntax error.
func TestReadBundleReadError(t *testing.T) {
	t.Parallel()
	errBoom := errors.New("boom")
	data := bundleOf(xobj(0, ""), xobj(1, ""), xobj(2, ""))
	for _, cut := range []int{0, 10, 250, len(data) - 1, len(data)} {
		r := io.MultiReader(strings.NewReader(data[:cut]), iotest.ErrReader(errBoom))
		_, err := stix.ReadBundle(r, func(*stix.Result) error { return nil })
		var se *stix.SyntaxError
		if !errors.Is(err, errBoom) || errors.As(err, &se) {
			t.Errorf("cut at %d: ReadBundle returned %v, want the read error", cut, err)
		}
	}
}

// TestReadBundleOrder checks that results arrive in bundle order however
// the validation work is spread.
func TestReadBundleOrder(t *testing.T) {
	t.Parallel()
	objects := make([]string, 5000)
	for i := range objects {
		if i%7 == 3 {
			// Invalid objects take a different path through validation.
			objects[i] = `{"type": "x-test", "id": 1}`
			continue
		}
		objects[i] = xobj(i, strings.Repeat(`, "x_pad": "`+strings.Repeat("p", i%300)+`"`, 1))
	}
	results, _, err := readAll(t, strings.NewReader(bundleOf(objects...)))
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != len(objects) {
		t.Fatalf("got %d results, want %d", len(results), len(objects))
	}
	for i, res := range results {
		if string(res.Raw) != objects[i] {
			t.Fatalf("objects[%d] is out of order", i)
		}
		if (res.Object == nil) != (i%7 == 3) {
			t.Errorf("objects[%d]: object %v, issues %v", i, res.Object, res.Issues)
		}
	}
}

// TestReadBundleStops checks that an error from fn stops the read, is
// returned, and leaves no goroutine behind. It does not run in parallel so
// that it can count goroutines.
func TestReadBundleStops(t *testing.T) {
	objects := make([]string, 3000)
	for i := range objects {
		objects[i] = xobj(i, "")
	}
	data := bundleOf(objects...)
	errStop := errors.New("stop")
	for _, stopAt := range []int{0, 1, 700, 2999} {
		before := runtime.NumGoroutine()
		calls := 0
		_, err := stix.ReadBundle(strings.NewReader(data), func(res *stix.Result) error {
			calls++
			if res.Index == stopAt {
				return errStop
			}
			return nil
		})
		if err != errStop || calls != stopAt+1 {
			t.Errorf("stop at %d: ReadBundle returned %v after %d calls", stopAt, err, calls)
		}
		// Goroutines that have signalled they are done may take a moment
		// to exit: wait for the count to come back, with a deadline.
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			runtime.Gosched()
		}
		if n := runtime.NumGoroutine(); n > before {
			t.Errorf("stop at %d: %d goroutines, %d before", stopAt, n, before)
		}
	}
}

// TestBundleReader checks the streaming reader on its own: objects as exact
// bytes, the bundle id wherever it is, and an oversized object skipped.
func TestBundleReader(t *testing.T) {
	t.Parallel()
	huge := `{"x_blob": "` + strings.Repeat("b", stix.MaxObjectSize) + `"}`
	in := `{"objects": [` + xobj(0, "") + `, ` + huge + `,` + "\n" + `[1,  2]], "type": "bundle", "id": "` + testBundleID + `"}`
	br := stix.NewBundleReader(strings.NewReader(in))
	raw, i, err := br.Next()
	if err != nil || i != 0 || string(raw) != xobj(0, "") {
		t.Fatalf("Next = %q, %d, %v", raw, i, err)
	}
	_, i, err = br.Next()
	var tooLarge *stix.TooLargeError
	if !errors.As(err, &tooLarge) || i != 1 || tooLarge.Index != 1 || tooLarge.Size != int64(len(huge)) {
		t.Fatalf("Next = %d, %v; want a *TooLargeError for objects[1] of %d bytes", i, err, len(huge))
	}
	raw, i, err = br.Next()
	if err != nil || i != 2 || string(raw) != "[1,  2]" {
		t.Fatalf("Next = %q, %d, %v", raw, i, err)
	}
	if _, _, err := br.Next(); err != io.EOF {
		t.Fatalf("Next = %v, want io.EOF", err)
	}
	if _, _, err := br.Next(); err != io.EOF {
		t.Fatalf("Next after the end = %v, want io.EOF", err)
	}
	if br.ID() != testBundleID || len(br.Issues) != 0 {
		t.Errorf("ID() = %q, issues %v", br.ID(), br.Issues)
	}
}
