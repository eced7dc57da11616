package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
	"github.com/tearline/tearline/match"
	"github.com/tearline/tearline/stix"
	"github.com/tearline/tearline/taxii/client"
)

func newMatchCmd(s *streams) *cobra.Command {
	var (
		cf                            clientFlags
		indicators, events, format    string
		mappingFile, report, identity string
		markings                      []string
	)
	cmd := &cobra.Command{
		Use:   "match --indicators SRC --events FILE|-",
		Short: "Match indicators' STIX patterns against observed data or sensor logs",
		Long: `Compile the STIX patterns of the indicators in SRC — a bundle file, or a TAXII
collection URL (https://host/taxii2/ROOT/collections/ID/, read with the
--token, --user/--password or --cert/--key credentials) — and match them
against the events of FILE ("-" for standard input), in order.

Events (--format): stix (observed-data in a bundle or JSON lines; STIX 2.1
object_refs and 2.0 embedded objects), suricata (EVE JSON: alert, dns, http,
tls, fileinfo, flow), zeek (JSON logs: conn, dns, http, files, ssl), or
auto (the default: told from the first line). --mapping FILE maps any other
JSON-lines log (see package match, ParseMapping). Events of an unexpected
shape are skipped and counted by reason on standard error.

Each match is printed as one JSON line: the indicator id, the time of the
event that completed the match, the event's line (or object) number, the
observed-data id or the log line itself, and, for patterns that join
several observations, all of them.

--report URL posts, at the end, one STIX sighting per indicator matched to
that TAXII collection: sighting_of_ref the indicator, count the number of
matches, first_seen and last_seen, observed_data_refs the observed-data
matched (STIX input), where_sighted_refs and created_by_ref --identity (the
reporting organization's identity id), object_marking_refs --marking.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if report != "" && identity == "" {
				return errors.New("match: --report needs --identity, the identity id of the organization reporting the sightings")
			}
			var c *client.Client
			if isURL(indicators) || report != "" {
				var err error
				if c, err = cf.client(); err != nil {
					return err
				}
			}
			idx, n, err := loadIndicators(ctx, c, indicators, s.errOut)
			if err != nil {
				return err
			}
			fmt.Fprintf(s.errOut, "compiled %d indicators\n", n)
			in := s.in
			if events != "-" {
				f, err := os.Open(events)
				if err != nil {
					return fmt.Errorf("match: %w", err)
				}
				defer f.Close()
				in = f
			}
			var m *match.Mapping
			if mappingFile != "" {
				data, err := os.ReadFile(mappingFile)
				if err != nil {
					return fmt.Errorf("match: %w", err)
				}
				if m, err = match.ParseMapping(data); err != nil {
					return fmt.Errorf("match: %s: %w", mappingFile, err)
				}
				format = "mapping"
			}
			sight := sightings{}
			out := bufio.NewWriter(s.out)
			res, err := matchEvents(idx, in, format, m, func(x *match.Match, obs *match.Observation) error {
				sight.add(x)
				return writeMatch(out, x, obs)
			})
			if ferr := out.Flush(); err == nil {
				err = ferr
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(s.errOut, "%d events, %d matches of %d indicators, %d skipped\n", res.events, res.matches, len(sight), res.skips.Total())
			reasons := make([]string, 0, len(res.skips.Counts()))
			for r := range res.skips.Counts() {
				reasons = append(reasons, r)
			}
			sort.Strings(reasons)
			for _, r := range reasons {
				fmt.Fprintf(s.errOut, "  skipped %d: %s\n", res.skips.Counts()[r], r)
			}
			if report != "" && len(sight) > 0 {
				root, col, err := splitCollectionURL(report)
				if err != nil {
					return fmt.Errorf("match: --report: %w", err)
				}
				objs, err := sight.objects(identity, markings, time.Now().UTC())
				if err != nil {
					return err
				}
				st, err := c.Add(ctx, root, col, objs)
				if err != nil {
					return fmt.Errorf("match: --report: %w", err)
				}
				if st, err = c.Wait(ctx, root, st); err != nil {
					return fmt.Errorf("match: --report: %w", err)
				}
				fmt.Fprintf(s.errOut, "reported %d sightings: %d succeeded, %d failed\n", len(objs), st.SuccessCount, st.FailureCount)
				if st.FailureCount > 0 {
					return fmt.Errorf("match: --report: the server refused %d sightings", st.FailureCount)
				}
			}
			return nil
		},
	}
	cf.register(cmd.Flags())
	cmd.Flags().StringVar(&indicators, "indicators", "", "bundle file or TAXII collection URL holding the indicators (required)")
	cmd.Flags().StringVar(&events, "events", "", `events file, or "-" for standard input (required)`)
	cmd.Flags().StringVar(&format, "format", "auto", "events format: auto, stix, suricata, zeek")
	cmd.Flags().StringVar(&mappingFile, "mapping", "", "JSON mapping of another JSON-lines log's fields to STIX objects")
	cmd.Flags().StringVar(&report, "report", "", "TAXII collection URL to post sightings of the matched indicators to")
	cmd.Flags().StringVar(&identity, "identity", "", "identity id of the reporting organization (where_sighted_refs, created_by_ref)")
	cmd.Flags().StringSliceVar(&markings, "marking", nil, "marking-definition ids to mark the sightings with")
	cmd.MarkFlagRequired("indicators")
	cmd.MarkFlagRequired("events")
	return cmd
}

func isURL(s string) bool { return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") }

// splitCollectionURL splits .../ROOT/collections/ID/ into the API root URL
// and the collection id.
func splitCollectionURL(u string) (root, col string, err error) {
	p, err := url.Parse(u)
	if err != nil {
		return "", "", err
	}
	path := strings.TrimSuffix(p.Path, "/")
	i := strings.LastIndex(path, "/collections/")
	if i < 0 || !isURL(u) {
		return "", "", fmt.Errorf("%q is not a TAXII collection URL (https://host/taxii2/ROOT/collections/ID/)", u)
	}
	col = path[i+len("/collections/"):]
	if col == "" || strings.Contains(col, "/") {
		return "", "", fmt.Errorf("%q is not a TAXII collection URL (https://host/taxii2/ROOT/collections/ID/)", u)
	}
	p.Path = path[:i+1]
	p.RawPath = ""
	return p.String(), col, nil
}

// loadIndicators compiles the indicators of a bundle file or a TAXII
// collection: the latest version of each, STIX patterns only. Indicators
// it cannot run are counted on w.
func loadIndicators(ctx context.Context, c *client.Client, src string, w io.Writer) (*match.Index, int, error) {
	latest := map[string][]byte{}
	modified := map[string]string{}
	take := func(raw []byte) {
		var head struct{ Type, ID, Modified string }
		if json.Unmarshal(raw, &head) != nil || head.Type != "indicator" {
			return
		}
		if old, ok := modified[head.ID]; ok && !newerTimestamp(head.Modified, old) {
			return
		}
		latest[head.ID], modified[head.ID] = raw, head.Modified
	}
	if isURL(src) {
		root, col, err := splitCollectionURL(src)
		if err != nil {
			return nil, 0, fmt.Errorf("match: --indicators: %w", err)
		}
		for env, err := range c.Pages(ctx, root, col, client.Filter{Types: []string{"indicator"}, Versions: []string{"last"}}) {
			if err != nil {
				return nil, 0, fmt.Errorf("match: --indicators: %w", err)
			}
			for _, raw := range env.Objects {
				take(raw)
			}
		}
	} else {
		f, err := os.Open(src)
		if err != nil {
			return nil, 0, fmt.Errorf("match: %w", err)
		}
		defer f.Close()
		// Objects that fail validation are still matched when their
		// pattern parses: the file may be STIX 2.0.
		if _, err := stix.ReadBundle(f, func(r *stix.Result) error {
			if r.Raw != nil {
				take(r.Raw)
			}
			return nil
		}); err != nil {
			return nil, 0, fmt.Errorf("match: %s: %w", src, err)
		}
	}
	ids := make([]string, 0, len(latest))
	for id := range latest {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	b := match.NewBuilder(match.Options{})
	refused := map[string]int{}
	for _, id := range ids {
		ind, _, err := match.ParseIndicator(latest[id])
		if err == nil {
			err = b.Add(ind)
		}
		if err != nil {
			reason := err.Error()
			if !errors.Is(err, match.ErrNotSTIXPattern) && !errors.Is(err, match.ErrRevoked) {
				fmt.Fprintf(w, "%s: %v\n", id, err)
				reason = "invalid"
			}
			refused[reason]++
		}
	}
	for r, n := range refused {
		fmt.Fprintf(w, "indicators not matched: %d %s\n", n, r)
	}
	n := b.Len()
	return b.Build(), n, nil
}

// newerTimestamp reports whether STIX timestamp a is later than b.
func newerTimestamp(a, b string) bool {
	ta, err1 := time.Parse(time.RFC3339Nano, a)
	tb, err2 := time.Parse(time.RFC3339Nano, b)
	if err1 != nil || err2 != nil {
		return a > b
	}
	return ta.After(tb)
}

// matchResult counts what matchEvents did.
type matchResult struct {
	events, matches int
	skips           *match.Skips
}

// matchEvents decodes the events of r in format (auto, stix, suricata,
// zeek, or mapping with m) and matches them in order, calling fn with each
// match and the observation that completed it.
func matchEvents(idx *match.Index, r io.Reader, format string, m *match.Mapping, fn func(*match.Match, *match.Observation) error) (matchResult, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if format == "auto" {
		head, _ := br.Peek(64 << 10)
		format = detectFormat(head)
	}
	res := matchResult{skips: &match.Skips{}}
	mt := idx.NewMatcher()
	if format == "stix" {
		data, err := io.ReadAll(br)
		if err != nil {
			return res, fmt.Errorf("match: events: %w", err)
		}
		obs, err := match.ReadSTIX(data, res.skips)
		if err != nil {
			return res, fmt.Errorf("match: events: %w", err)
		}
		for i := range obs {
			res.events++
			for _, x := range mt.Match(&obs[i]) {
				res.matches++
				if err := fn(&x, &obs[i]); err != nil {
					return res, err
				}
			}
		}
		return res, nil
	}
	if m == nil {
		var ok bool
		if m, ok = match.BuiltinMapping(format); !ok {
			return res, fmt.Errorf("match: unknown events format %q: use auto, stix, suricata or zeek, or give --mapping", format)
		}
	}
	lm := idx.NewLineMatcher(br, m)
	res.skips = lm.Skips()
	for {
		obs, ms, err := lm.Next()
		if err == io.EOF {
			return res, nil
		}
		if err != nil {
			return res, fmt.Errorf("match: events: %w", err)
		}
		res.events++
		for _, x := range ms {
			res.matches++
			if err := fn(&x, obs); err != nil {
				return res, err
			}
		}
	}
}

// detectFormat tells the events format from the start of the input.
func detectFormat(head []byte) string {
	line, _, _ := bytes.Cut(bytes.TrimSpace(head), []byte("\n"))
	var probe struct {
		Type      string          `json:"type"`
		EventType string          `json:"event_type"`
		Path      string          `json:"_path"`
		TS        json.RawMessage `json:"ts"`
	}
	if json.Unmarshal(line, &probe) != nil && len(line) > 0 && line[0] == '{' {
		// A pretty-printed bundle or object spans lines.
		return "stix"
	}
	switch {
	case probe.EventType != "":
		return "suricata"
	case probe.Path != "" || probe.TS != nil:
		return "zeek"
	}
	return "stix"
}

// writeMatch writes one match as a JSON line.
func writeMatch(w *bufio.Writer, x *match.Match, obs *match.Observation) error {
	b := make([]byte, 0, 256+len(obs.Raw))
	b = append(b, `{"indicator":`...)
	b = strconv.AppendQuote(b, x.Indicator)
	b = append(b, `,"time":`...)
	b = strconv.AppendQuote(b, x.Time.UTC().Format(time.RFC3339Nano))
	b = append(b, `,"line":`...)
	b = strconv.AppendInt(b, int64(obs.Line), 10)
	if obs.ID != "" {
		b = append(b, `,"observed_data":`...)
		b = strconv.AppendQuote(b, obs.ID)
	}
	if len(obs.Raw) > 0 {
		b = append(b, `,"event":`...)
		b = append(b, obs.Raw...)
	}
	if len(x.Observations) > 1 {
		b = append(b, `,"observations":[`...)
		for i, o := range x.Observations {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"line":`...)
			b = strconv.AppendInt(b, int64(o.Line), 10)
			b = append(b, `,"time":`...)
			b = strconv.AppendQuote(b, o.First.UTC().Format(time.RFC3339Nano))
			if o.ID != "" {
				b = append(b, `,"observed_data":`...)
				b = strconv.AppendQuote(b, o.ID)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, "}\n"...)
	_, err := w.Write(b)
	return err
}

// sightings gathers the matches of each indicator.
type sightings map[string]*sighting

type sighting struct {
	count       int
	first, last time.Time
	observed    []string
}

func (s sightings) add(x *match.Match) {
	g := s[x.Indicator]
	if g == nil {
		g = &sighting{first: x.Time, last: x.Time}
		s[x.Indicator] = g
	}
	g.count++
	for _, o := range x.Observations {
		if o.First.Before(g.first) {
			g.first = o.First
		}
		if o.Last.After(g.last) {
			g.last = o.Last
		}
		if o.ID != "" && !slices.Contains(g.observed, o.ID) {
			g.observed = append(g.observed, o.ID)
		}
	}
}

// objects returns a STIX 2.1 sighting per indicator, valid by the stix
// validator.
func (s sightings) objects(identity string, markings []string, now time.Time) ([][]byte, error) {
	ids := make([]string, 0, len(s))
	for id := range s {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	stamp := now.Format("2006-01-02T15:04:05.000Z")
	var out [][]byte
	for _, id := range ids {
		g := s[id]
		obj := map[string]any{
			"type": "sighting", "spec_version": "2.1", "id": "sighting--" + uuid.NewString(),
			"created": stamp, "modified": stamp, "created_by_ref": identity,
			"sighting_of_ref": id, "count": min(g.count, 999999999),
			"first_seen": g.first.UTC().Format(time.RFC3339Nano), "last_seen": g.last.UTC().Format(time.RFC3339Nano),
			"where_sighted_refs": []string{identity},
		}
		if len(g.observed) > 0 {
			obj["observed_data_refs"] = g.observed
		}
		if len(markings) > 0 {
			obj["object_marking_refs"] = markings
		}
		raw, err := json.Marshal(obj)
		if err != nil {
			return nil, err
		}
		if _, issues := stix.ValidateObject(raw, ""); issues.HasErrors() {
			return nil, fmt.Errorf("match: the sighting of %s is not valid STIX: %v", id, issues)
		}
		out = append(out, raw)
	}
	return out, nil
}
