package ui

import (
	"cmp"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tearline/tearline/taxii"
)

// dashboardScan caps the entries the dashboard reads from each
// collection for its counts and chart.
const dashboardScan = 1000

// dashboardData is what the dashboard shows.
type dashboardData struct {
	Since     time.Time
	FirstTime bool
	Total     int
	Truncated bool
	ByType    []count
	ByTLP     []count
	Latest    []*listed
	Chart     template.HTML
	Days      int
	// Sharing is the sharing metrics over Days, for those the API shows
	// them to; nil for others.
	Sharing      *sharingView
	SharingChart template.HTML
}

// count is one row of a count table.
type count struct {
	Key   string
	Class string
	N     int
}

// listed is an object in a list: what its released bytes say.
type listed struct {
	*taxii.PortalObject
	Name string
}

// NameOrID is the object's name, or its id when it has none.
func (l *listed) NameOrID() string {
	if l.Name != "" {
		return l.Name
	}
	return l.ID
}

// listedOf reads the display fields of released objects.
func listedOf(objs []*taxii.PortalObject) []*listed {
	out := make([]*listed, len(objs))
	for i, o := range objs {
		out[i] = &listed{PortalObject: o, Name: propString(o.Raw, "name")}
	}
	return out
}

// dashboard shows what arrived for the user's organization since its
// previous visit (the previous sign-in), by type and marking, the latest
// arrivals, and the volume per day over 30 days: all of it read through
// the access decision, so it counts only what the user may see.
func (p *Portal) dashboard(w http.ResponseWriter, r *http.Request, s *session) {
	now := p.cfg.Now().UTC()
	d := dashboardData{Since: s.Since, Days: 30}
	if d.Since.IsZero() {
		d.FirstTime, d.Since = true, now.AddDate(0, 0, -7)
	}
	from := now.AddDate(0, 0, -d.Days).Truncate(24 * time.Hour)
	after := from
	if d.Since.Before(after) {
		after = d.Since
	}
	page, err := p.srv.PortalList(r.Context(), s.p, taxii.PortalQuery{AddedAfter: after, Limit: dashboardScan})
	if err != nil {
		p.errorPage(w, r, s, err)
		return
	}
	d.Truncated = !page.Next.IsZero()
	byType, byTLP := map[string]int{}, map[string]int{}
	perDay := make([]int, d.Days+1)
	var b banner
	var recent []*taxii.PortalObject
	for _, o := range page.Objects {
		if !o.DateAdded.Before(from) {
			if i := int(o.DateAdded.Sub(from) / (24 * time.Hour)); i >= 0 && i < len(perDay) {
				perDay[i]++
			}
		}
		if !o.DateAdded.After(d.Since) {
			continue
		}
		d.Total++
		byType[o.Type]++
		tlp := o.TLP
		if tlp == "" {
			tlp = "unmarked"
		}
		byTLP[tlp]++
		recent = append(recent, o)
	}
	d.ByType, d.ByTLP = sortedCounts(byType), sortedCounts(byTLP)
	slices.Reverse(recent)
	if len(recent) > 20 {
		recent = recent[:20]
	}
	for _, o := range recent {
		b.raise(o)
	}
	d.Latest = listedOf(recent)
	d.Chart = barChart("volume-chart", "Objects you may see, added per day over the last 30 days", from, perDay)
	if d.Sharing = p.sharing(r, s, from, now); d.Sharing != nil {
		shared := make([]int, d.Days+1)
		for _, day := range d.Sharing.Objects.ByDay {
			if t, err := time.Parse("2006-01-02", day.Day); err == nil {
				if i := int(t.Sub(from) / (24 * time.Hour)); i >= 0 && i < len(shared) {
					shared[i] += day.Shared
				}
			}
		}
		d.SharingChart = barChart("sharing-chart", "Objects shared by partners per day over the last 30 days", from, shared)
	}
	p.renderMarked(w, r, http.StatusOK, "dashboard", s, b, d)
}

// sortedCounts returns counts by decreasing number, then key.
func sortedCounts(m map[string]int) []count {
	var out []count
	for k, n := range m {
		out = append(out, count{Key: k, Class: tlpClass(k), N: n})
	}
	slices.SortFunc(out, func(a, b count) int { return cmp.Or(cmp.Compare(b.N, a.N), cmp.Compare(a.Key, b.Key)) })
	return out
}

// barChart renders counts per day from start as an SVG bar chart (id
// names it and its title), with a
// title and a description for screen readers. Only numbers and fixed
// text go into it.
func barChart(id, title string, start time.Time, perDay []int) template.HTML {
	const w, h, pad = 640, 200, 30
	peak := max(1, slices.Max(perDay))
	bw := float64(w-2*pad) / float64(len(perDay))
	var sb strings.Builder
	total := 0
	for _, n := range perDay {
		total += n
	}
	fmt.Fprintf(&sb, `<svg class="chart" id="%s" role="img" aria-labelledby="%s-title %s-desc" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg">`, id, id, id, w, h, w, h)
	fmt.Fprintf(&sb, `<title id="%s-title">%s</title><desc id="%s-desc">%d objects from %s to today; the busiest day had %d.</desc>`,
		id, template.HTMLEscapeString(title), id, total, start.Format("2006-01-02"), peak)
	fmt.Fprintf(&sb, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#555"/>`, pad, h-pad, w-pad, h-pad)
	for i, n := range perDay {
		bh := float64(h-2*pad) * float64(n) / float64(peak)
		x := float64(pad) + float64(i)*bw
		fmt.Fprintf(&sb, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#0b4f9c"><title>%s: %d</title></rect>`,
			x+1, float64(h-pad)-bh, bw-2, bh, start.AddDate(0, 0, i).Format("2006-01-02"), n)
	}
	fmt.Fprintf(&sb, `<text x="%d" y="%d" font-size="12" fill="#1a1a1a">%s</text>`, pad, h-8, start.Format("2006-01-02"))
	fmt.Fprintf(&sb, `<text x="%d" y="%d" font-size="12" fill="#1a1a1a" text-anchor="end">today</text>`, w-pad, h-8)
	fmt.Fprintf(&sb, `<text x="%d" y="%d" font-size="12" fill="#1a1a1a">%d</text>`, 2, pad+4, peak)
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}
