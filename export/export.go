// Package export turns released STIX indicators into defensive measures:
// Suricata and Snort rules, plain blocklists per observable type, CSV, a
// DNS response policy zone, and STIX bundles.
//
// A Writer takes objects one by one — each already passed through the
// access decision for its recipient — and writes what each indicator's
// pattern looks for in the chosen format. A pattern a format cannot
// express (observation operators, qualifiers, AND, NOT, comparisons other
// than = and IN, ISSUBSET on addresses, properties that are not an
// address, domain name, URL, e-mail address or file hash, or a kind the
// format does not take) is never dropped silently: the Writer lists it
// with the reason in Skipped, and formats that have comments end with that
// list.
package export

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/tearline/tearline/match"
	"github.com/tearline/tearline/stix/pattern"
)

// Formats lists the export formats, in the order help shows them.
var Formats = []string{"suricata", "snort", "blocklist-ip", "blocklist-domain", "blocklist-url", "blocklist-hash", "csv", "rpz", "stix"}

// ContentType returns the media type of a format.
func ContentType(format string) string {
	switch format {
	case "csv":
		return "text/csv; charset=utf-8"
	case "stix":
		return "application/stix+json;version=2.1"
	case "rpz":
		return "text/dns; charset=utf-8"
	}
	return "text/plain; charset=utf-8"
}

// Options tune a Writer.
type Options struct {
	// SIDBase is the first rule id (sid) of Suricata and Snort rules;
	// default 9,000,000 (a range local rules commonly take).
	SIDBase int
	// Zone is the origin of the RPZ zone; default "rpz.tearline.".
	Zone string
	// Now is the time written in headers (the RPZ serial); default now.
	Now time.Time
}

// Skip is an indicator (or one of its observables) a format cannot
// express.
type Skip struct {
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`
	Reason string `json:"reason"`
}

// Writer writes one export.
type Writer struct {
	format  string
	opts    Options
	w       *bufio.Writer
	csv     *csv.Writer
	sid     int
	n       int // objects (stix) or rules and lines written
	skipped []Skip
	lines   map[string]bool // blocklists and RPZ: written once each
	started bool
}

// NewWriter returns a Writer of format (one of Formats) to w. It fails for
// an unknown format.
func NewWriter(w io.Writer, format string, opts Options) (*Writer, error) {
	if !slices.Contains(Formats, format) {
		return nil, fmt.Errorf("export: unknown format %q: use %s", format, strings.Join(Formats, ", "))
	}
	if opts.SIDBase <= 0 {
		opts.SIDBase = 9000000
	}
	if opts.Zone == "" {
		opts.Zone = "rpz.tearline."
	}
	if !strings.HasSuffix(opts.Zone, ".") {
		opts.Zone += "."
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	x := &Writer{format: format, opts: opts, w: bufio.NewWriterSize(w, 64<<10), sid: opts.SIDBase, lines: map[string]bool{}}
	if format == "csv" {
		x.csv = csv.NewWriter(x.w)
	}
	return x, nil
}

// Skipped returns the indicators (or observables) not expressed, with why.
func (x *Writer) Skipped() []Skip { return x.skipped }

// Written returns how many rules, lines or objects were written.
func (x *Writer) Written() int { return x.n }

// skip records that indicator ind cannot be expressed.
func (x *Writer) skip(ind match.IndicatorJSON, reason string) {
	x.skipped = append(x.skipped, Skip{ID: ind.ID, Name: ind.Name, Reason: reason})
}

// start writes the header of the export, once.
func (x *Writer) start() error {
	if x.started {
		return nil
	}
	x.started = true
	stamp := x.opts.Now.UTC().Format(time.RFC3339)
	switch x.format {
	case "suricata", "snort":
		fmt.Fprintf(x.w, "# Tearline %s rules, exported %s\n", x.format, stamp)
	case "blocklist-ip", "blocklist-domain", "blocklist-url", "blocklist-hash":
		fmt.Fprintf(x.w, "# Tearline %s, exported %s\n", x.format, stamp)
	case "csv":
		return x.csv.Write([]string{"indicator_id", "name", "type", "value", "valid_from", "valid_until"})
	case "rpz":
		fmt.Fprintf(x.w, "; Tearline response policy zone, exported %s\n$TTL 300\n$ORIGIN %s\n@ SOA localhost. hostmaster.localhost. %d 3600 600 86400 300\n@ NS localhost.\n",
			stamp, x.opts.Zone, x.opts.Now.Unix())
	case "stix":
		_, err := fmt.Fprintf(x.w, "{\n    \"type\": \"bundle\",\n    \"id\": \"bundle--%s\",\n    \"objects\": [", newUUID())
		return err
	}
	return nil
}

// Add takes one released object. A STIX export writes every object as it
// is; the other formats write the indicators whose STIX patterns they can
// express and skip other objects silently (they are not indicators).
func (x *Writer) Add(raw []byte) error {
	if err := x.start(); err != nil {
		return err
	}
	if x.format == "stix" {
		sep := ",\n"
		if x.n == 0 {
			sep = "\n"
		}
		x.w.WriteString(sep)
		x.w.Write(raw)
		x.n++
		return nil
	}
	_, ind, err := match.ParseIndicator(raw)
	switch {
	case ind.Type != "indicator":
		return nil
	case err != nil && ind.PatternType != "" && ind.PatternType != "stix":
		if ind.PatternType == x.format && !ind.Revoked {
			// A rule in the format's own language passes through.
			return x.native(ind)
		}
		x.skip(ind, "pattern_type "+ind.PatternType+" is not STIX")
		return nil
	case err != nil:
		x.skip(ind, err.Error())
		return nil
	}
	p, perr := pattern.Parse(ind.Pattern)
	if perr != nil {
		x.skip(ind, perr.Error())
		return nil
	}
	items, reason := extract(p)
	if reason != "" {
		x.skip(ind, reason)
		return nil
	}
	switch x.format {
	case "suricata":
		return x.suricata(ind, items)
	case "snort":
		return x.snort(ind, items)
	case "csv":
		return x.csvRows(ind, items)
	case "rpz":
		return x.rpz(ind, items)
	}
	return x.blocklist(ind, items)
}

// native writes a rule given in the format's own language.
func (x *Writer) native(ind match.IndicatorJSON) error {
	rule := strings.TrimSpace(ind.Pattern)
	if strings.ContainsAny(rule, "\n\r") {
		x.skip(ind, "the "+ind.PatternType+" rule spans several lines")
		return nil
	}
	fmt.Fprintf(x.w, "# %s\n%s\n", ind.ID, rule)
	x.n++
	return nil
}

// Close ends the export: the bundle's end, or the list of what was
// skipped as comments. It does not close the underlying writer.
func (x *Writer) Close() error {
	if err := x.start(); err != nil {
		return err
	}
	switch x.format {
	case "stix":
		end := "\n    ]\n}\n"
		if x.n == 0 {
			end = "]\n}\n"
		}
		x.w.WriteString(end)
	case "csv":
		x.csv.Flush()
		if err := x.csv.Error(); err != nil {
			return err
		}
	default:
		c := "#"
		if x.format == "rpz" {
			c = ";"
		}
		fmt.Fprintf(x.w, "%s %d written, %d skipped\n", c, x.n, len(x.skipped))
		for _, s := range x.skipped {
			fmt.Fprintf(x.w, "%s skipped %s: %s\n", c, s.ID, oneLine(s.Reason))
		}
	}
	return x.w.Flush()
}

// WriteSkipped writes skips as JSON lines.
func WriteSkipped(w io.Writer, skips []Skip) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, s := range skips {
		if err := enc.Encode(s); err != nil {
			return err
		}
	}
	return nil
}

func oneLine(s string) string {
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
}
