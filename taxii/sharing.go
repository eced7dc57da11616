package taxii

import (
	"context"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tearline/tearline"
)

// maxSharingPeriod is the longest period the sharing metrics cover.
const maxSharingPeriod = 366 * 24 * time.Hour

// sharingMetrics are the participation and timeliness figures of a period
// (GET /api/v1/metrics/sharing). See the README section "Two-way
// exchange" for the definition of each.
type sharingMetrics struct {
	From          time.Time         `json:"from"`
	To            time.Time         `json:"to"`
	Organizations orgActivity       `json:"organizations"`
	Objects       objectFlow        `json:"objects"`
	Submissions   submissionCounts  `json:"submissions"`
	ToAvailable   durationStats     `json:"time_to_available"`
	ToAcknowledge groupedDurations  `json:"time_to_acknowledge"`
	ToFeedback    groupedDurations  `json:"time_to_first_feedback"`
	Feedback      feedbackFigures   `json:"feedback"`
	Quality       qualityHistogram  `json:"quality"`
	byOrg         map[string]string // organization names, for Prometheus
}

// orgActivity counts the organizations active in the period.
type orgActivity struct {
	Submitting orgCounts `json:"submitting"`
	Consuming  orgCounts `json:"consuming"`
}

// orgCounts counts organizations in all, by type and by country ("" for
// none given).
type orgCounts struct {
	Total     int            `json:"total"`
	ByType    map[string]int `json:"by_type"`
	ByCountry map[string]int `json:"by_country"`
}

// objectFlow counts objects shared (stored by partners' submissions) and
// received (released to readers), in all and per UTC day.
type objectFlow struct {
	Shared   int       `json:"shared"`
	Received int       `json:"received"`
	ByDay    []dayFlow `json:"by_day"`
}

type dayFlow struct {
	Day      string `json:"day"`
	Shared   int    `json:"shared"`
	Received int    `json:"received"`
}

// submissionCounts counts the partners' submissions of the period by
// their triage state now.
type submissionCounts struct {
	Total   int            `json:"total"`
	ByState map[string]int `json:"by_state"`
}

// durationStats summarizes durations: how many, the median and the 90th
// percentile (nearest rank), in seconds; null when there are none.
type durationStats struct {
	Count  int      `json:"count"`
	Median *float64 `json:"median_seconds"`
	P90    *float64 `json:"p90_seconds"`
}

// groupedDurations are durationStats in all, per partner (by name) and per
// partner type, with the number of submissions still waiting.
type groupedDurations struct {
	durationStats
	Waiting       int                      `json:"waiting"`
	ByPartner     map[string]durationStats `json:"by_partner"`
	ByPartnerType map[string]durationStats `json:"by_partner_type"`
}

// feedbackFigures say how many distinct objects shared in the period got
// a sighting or an opinion from another organization.
type feedbackFigures struct {
	Objects   int     `json:"objects"`
	WithAny   int     `json:"with_sighting_or_opinion"`
	Rate      float64 `json:"rate"`
	Sightings int     `json:"sightings"`
	Opinions  int     `json:"opinions"`
	Notes     int     `json:"notes"`
}

// qualityHistogram is the distribution of the context scores of the
// distinct objects shared in the period.
type qualityHistogram struct {
	Scored  int            `json:"scored"`
	Buckets map[string]int `json:"context_buckets"`
	Median  *float64       `json:"median_context"`
}

// contextBuckets are the bucket names of qualityHistogram, by score / 20
// (100 falls in the last).
var contextBuckets = []string{"0-19", "20-39", "40-59", "60-79", "80-100"}

// nearestRank returns the p-th percentile (0 < p <= 1) of sorted values by
// the nearest-rank method: the smallest value with at least p of the
// values at or below it.
func nearestRank(sorted []float64, p float64) float64 {
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(i, 0)]
}

// statsOf summarizes durations.
func statsOf(ds []time.Duration) durationStats {
	st := durationStats{Count: len(ds)}
	if len(ds) == 0 {
		return st
	}
	vs := make([]float64, len(ds))
	for i, d := range ds {
		vs[i] = d.Seconds()
	}
	slices.Sort(vs)
	med, p90 := nearestRank(vs, 0.5), nearestRank(vs, 0.9)
	st.Median, st.P90 = &med, &p90
	return st
}

// parsePeriod reads the period of a sharing metrics request: period=Nd or
// Nh (up to 366 days; default 30d) ending now, or from and to (RFC 3339;
// to defaults to now).
func parsePeriod(r *http.Request, now time.Time) (from, to time.Time, err error) {
	to = now
	period := 30 * 24 * time.Hour
	var fromSet bool
	for name, vs := range r.URL.Query() {
		if len(vs) != 1 {
			return from, to, tearline.Errorf(tearline.EINVALID, "parameter %s is given %d times; give it once", name, len(vs))
		}
		v := vs[0]
		switch name {
		case "period":
			n, err := strconv.Atoi(v[:max(len(v)-1, 0)])
			unit := map[string]time.Duration{"d": 24 * time.Hour, "h": time.Hour}[v[max(len(v)-1, 0):]]
			if err != nil || n < 1 || unit == 0 || time.Duration(n)*unit > maxSharingPeriod {
				return from, to, tearline.Errorf(tearline.EINVALID, "period %q: want a number of days or hours such as 7d or 24h, at most 366d", v)
			}
			period = time.Duration(n) * unit
		case "from", "to":
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return from, to, tearline.Errorf(tearline.EINVALID, "%s %q is not an RFC 3339 time such as 2026-01-31T00:00:00Z", name, v)
			}
			if name == "from" {
				from, fromSet = t.UTC(), true
			} else {
				to = t.UTC()
			}
		default:
			return from, to, tearline.Errorf(tearline.EINVALID, "unknown parameter %q: the sharing metrics take period, or from and to", name)
		}
	}
	if fromSet && r.URL.Query().Has("period") {
		return from, to, tearline.Errorf(tearline.EINVALID, "give either period or from, not both")
	}
	if !fromSet {
		from = to.Add(-period)
	}
	if !from.Before(to) || to.Sub(from) > maxSharingPeriod {
		return from, to, tearline.Errorf(tearline.EINVALID, "from must be before to, and at most 366 days before it")
	}
	return from, to, nil
}

// getSharingMetrics handles GET /api/v1/metrics/sharing/ for triagers
// (admins and the hosting organization's analysts).
func (s *Server) getSharingMetrics(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	if !s.triager(r.Context(), p) {
		return tearline.Errorf(tearline.EFORBIDDEN, "the sharing metrics are for the hosting organization's analysts and for admins")
	}
	from, to, err := parsePeriod(r, time.Now().UTC())
	if err != nil {
		return err
	}
	m, err := s.sharing(r.Context(), from, to)
	if err != nil {
		return err
	}
	writeAdmin(w, http.StatusOK, m)
	return nil
}

// sharing computes the sharing metrics of [from, to). It stores the
// reading activity counted in memory first.
func (s *Server) sharing(ctx context.Context, from, to time.Time) (*sharingMetrics, error) {
	ex, err := s.exchanges()
	if err != nil {
		return nil, err
	}
	if err := s.flushActivity(ctx); err != nil {
		return nil, err
	}
	orgs, err := s.b.Organizations(ctx)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*tearline.Organization, len(orgs))
	m := &sharingMetrics{From: from, To: to, byOrg: map[string]string{}}
	for _, o := range orgs {
		byID[o.ID] = o
		m.byOrg[o.ID] = o.Name
	}
	subs, err := ex.ListSubmissions(ctx, tearline.SubmissionFilter{From: from, To: to})
	if err != nil {
		return nil, err
	}
	acts, err := ex.ListActivity(ctx, tearline.Day(from), to)
	if err != nil {
		return nil, err
	}
	orgType := func(id string) string {
		if o := byID[id]; o != nil && o.Type != "" {
			return o.Type
		}
		return "unknown"
	}
	count := func(c *orgCounts, ids map[string]bool) {
		c.ByType, c.ByCountry = map[string]int{}, map[string]int{}
		for id := range ids {
			c.Total++
			c.ByType[orgType(id)]++
			country := "unknown"
			if o := byID[id]; o != nil && o.Country != "" {
				country = o.Country
			}
			c.ByCountry[country]++
		}
	}

	days := map[string]*dayFlow{}
	day := func(t time.Time) *dayFlow {
		k := tearline.Day(t).Format(time.DateOnly)
		if days[k] == nil {
			days[k] = &dayFlow{Day: k}
		}
		return days[k]
	}
	submitting, consuming := map[string]bool{}, map[string]bool{}
	m.Submissions.ByState = map[string]int{}
	var (
		avail         []time.Duration
		ack, fb       = map[string][]time.Duration{}, map[string][]time.Duration{}
		objects       []string
		seen          = map[string]bool{}
		objSubmitters = map[string]map[string]bool{}
	)
	for _, sub := range subs {
		submitting[sub.OrgID] = true
		m.Submissions.Total++
		m.Submissions.ByState[sub.State]++
		m.Objects.Shared += len(sub.Objects)
		day(sub.Received).Shared += len(sub.Objects)
		avail = append(avail, sub.Available.Sub(sub.Received))
		if !sub.Acknowledged.IsZero() {
			ack[sub.OrgID] = append(ack[sub.OrgID], sub.Acknowledged.Sub(sub.Received))
		} else {
			m.ToAcknowledge.Waiting++
		}
		if !sub.FirstFeedback.IsZero() {
			fb[sub.OrgID] = append(fb[sub.OrgID], sub.FirstFeedback.Sub(sub.Received))
		} else {
			m.ToFeedback.Waiting++
		}
		for _, id := range sub.Objects {
			if !seen[id] {
				seen[id] = true
				objects = append(objects, id)
				objSubmitters[id] = map[string]bool{}
			}
			objSubmitters[id][sub.OrgID] = true
		}
	}
	for _, a := range acts {
		if a.Requests > 0 {
			consuming[a.OrgID] = true
		}
		m.Objects.Received += a.Objects
		day(a.Day).Received += a.Objects
	}
	count(&m.Organizations.Submitting, submitting)
	count(&m.Organizations.Consuming, consuming)
	m.Objects.ByDay = []dayFlow{}
	for _, k := range slices.Sorted(maps.Keys(days)) {
		m.Objects.ByDay = append(m.Objects.ByDay, *days[k])
	}
	m.ToAvailable = statsOf(avail)
	group := func(g *groupedDurations, byOrg map[string][]time.Duration) {
		g.ByPartner, g.ByPartnerType = map[string]durationStats{}, map[string]durationStats{}
		var all []time.Duration
		byType := map[string][]time.Duration{}
		for org, ds := range byOrg {
			name := org
			if o := byID[org]; o != nil {
				name = o.Name
			}
			g.ByPartner[name] = statsOf(ds)
			byType[orgType(org)] = append(byType[orgType(org)], ds...)
			all = append(all, ds...)
		}
		for typ, ds := range byType {
			g.ByPartnerType[typ] = statsOf(ds)
		}
		g.durationStats = statsOf(all)
	}
	group(&m.ToAcknowledge, ack)
	group(&m.ToFeedback, fb)

	m.Feedback.Objects = len(objects)
	if len(objects) > 0 {
		fs, err := ex.ListFeedback(ctx, objects, time.Time{}, to)
		if err != nil {
			return nil, err
		}
		with := map[string]bool{}
		for _, f := range fs {
			if objSubmitters[f.RefID][f.OrgID] {
				continue // the submitter's own word on its object
			}
			switch f.Type {
			case "sighting":
				m.Feedback.Sightings++
				with[f.RefID] = true
			case "opinion":
				m.Feedback.Opinions++
				with[f.RefID] = true
			case "note":
				m.Feedback.Notes++
			}
		}
		m.Feedback.WithAny = len(with)
		m.Feedback.Rate = float64(len(with)) / float64(len(objects))
	}
	if err := s.quality(ctx, &m.Quality, objects); err != nil {
		return nil, err
	}
	return m, nil
}

// quality fills h with the context scores of objects (the latest scored
// version of each), when the backend keeps scores.
func (s *Server) quality(ctx context.Context, h *qualityHistogram, objects []string) error {
	h.Buckets = map[string]int{}
	for _, b := range contextBuckets {
		h.Buckets[b] = 0
	}
	sc, ok := s.b.(tearline.Scores)
	if !ok || len(objects) == 0 {
		return nil
	}
	recs, err := sc.FindScores(ctx, objects)
	if err != nil {
		return err
	}
	latest := map[string]*tearline.ScoreRecord{}
	for _, r := range recs {
		if l := latest[r.ID]; l == nil || r.Version.After(l.Version) {
			latest[r.ID] = r
		}
	}
	var vs []float64
	for _, r := range latest {
		h.Scored++
		h.Buckets[contextBuckets[min(max(r.Context, 0)/20, len(contextBuckets)-1)]]++
		vs = append(vs, float64(r.Context))
	}
	if len(vs) > 0 {
		slices.Sort(vs)
		med := nearestRank(vs, 0.5)
		h.Median = &med
	}
	return nil
}

// sharingWindow is the period the Prometheus form of the sharing metrics
// covers, ending at each scrape.
const sharingWindow = 30 * 24 * time.Hour

// sharingCollector serves the sharing metrics of the last sharingWindow in
// Prometheus form on /metrics, computed at each scrape.
type sharingCollector struct {
	s                                        *Server
	orgs, objects, seconds, waiting, rate, q *prometheus.Desc
}

// registerSharing adds the sharing metrics to the server's metrics, when
// both exist.
func (s *Server) registerSharing() {
	if s.cfg.Metrics == nil || s.ex.st == nil {
		return
	}
	const w = " Over the last 30 days."
	s.cfg.Metrics.Registry().MustRegister(&sharingCollector{
		s:       s,
		orgs:    prometheus.NewDesc("tearline_sharing_organizations", "Organizations active, submitting or consuming, by type and country."+w, []string{"activity", "type", "country"}, nil),
		objects: prometheus.NewDesc("tearline_sharing_objects", "Objects shared by partners' submissions and received by readers."+w, []string{"direction"}, nil),
		seconds: prometheus.NewDesc("tearline_sharing_seconds", "Median and 90th percentile of the time from a partner's submission to availability, acknowledgement and first feedback."+w, []string{"measure", "quantile"}, nil),
		waiting: prometheus.NewDesc("tearline_sharing_waiting_submissions", "Partners' submissions not yet acknowledged, or without feedback."+w, []string{"measure"}, nil),
		rate:    prometheus.NewDesc("tearline_sharing_feedback_rate", "Share of the objects partners shared that got a sighting or an opinion from another organization."+w, nil, nil),
		q:       prometheus.NewDesc("tearline_sharing_context_score_objects", "Objects partners shared by context score bucket."+w, []string{"bucket"}, nil),
	})
}

// Describe implements prometheus.Collector.
func (c *sharingCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.orgs, c.objects, c.seconds, c.waiting, c.rate, c.q} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *sharingCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	now := time.Now().UTC()
	m, err := c.s.sharing(ctx, now.Add(-sharingWindow), now)
	if err != nil {
		c.s.log.Error("sharing metrics", "err", err)
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for activity, oc := range map[string]orgCounts{"submitting": m.Organizations.Submitting, "consuming": m.Organizations.Consuming} {
		// Type and country are counted apart; each series gives one of
		// them with the other as "all".
		for typ, n := range oc.ByType {
			gauge(c.orgs, float64(n), activity, typ, "all")
		}
		for country, n := range oc.ByCountry {
			gauge(c.orgs, float64(n), activity, "all", country)
		}
		gauge(c.orgs, float64(oc.Total), activity, "all", "all")
	}
	gauge(c.objects, float64(m.Objects.Shared), "shared")
	gauge(c.objects, float64(m.Objects.Received), "received")
	for measure, st := range map[string]durationStats{"available": m.ToAvailable, "acknowledge": m.ToAcknowledge.durationStats,
		"first_feedback": m.ToFeedback.durationStats} {
		if st.Median != nil {
			gauge(c.seconds, *st.Median, measure, "0.5")
			gauge(c.seconds, *st.P90, measure, "0.9")
		}
	}
	gauge(c.waiting, float64(m.ToAcknowledge.Waiting), "acknowledge")
	gauge(c.waiting, float64(m.ToFeedback.Waiting), "first_feedback")
	gauge(c.rate, m.Feedback.Rate)
	for b, n := range m.Quality.Buckets {
		gauge(c.q, float64(n), b)
	}
}
