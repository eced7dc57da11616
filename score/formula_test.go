package score

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline/observable"
)

func TestBase(t *testing.T) {
	t.Parallel()
	var p Params
	tests := []struct {
		name string
		e    Evidence
		want float64
	}{
		{"defaults", Evidence{Stated: -1, Reliability: -1}, 37.5},          // 50 × 0.75
		{"stated 80, grade A", Evidence{Stated: 80, Reliability: 100}, 80}, // taken at face value
		{"stated 80, grade E", Evidence{Stated: 80, Reliability: 20}, 48},  // 80 × 0.6
		{"stated 80, reliability 0", Evidence{Stated: 80, Reliability: 0}, 40},
		{"stated 0", Evidence{Stated: 0, Reliability: 100}, 0},
		{"stated 100 unknown source", Evidence{Stated: 100, Reliability: -1}, 75},
		{"out of range clamped", Evidence{Stated: 150, Reliability: 300}, 100},
		// 37.5 + 62.5 × (1 − 0.75) = 53.125
		{"one corroborating source", Evidence{Stated: -1, Reliability: -1, Sources: 1}, 53.125},
		// 37.5 + 62.5 × (1 − 0.75²) = 64.84375
		{"two corroborating sources", Evidence{Stated: -1, Reliability: -1, Sources: 2}, 64.84375},
		{"sources capped at 10", Evidence{Stated: -1, Reliability: -1, Sources: 50}, 37.5 + 62.5*(1-math.Pow(0.75, 10))},
		// 37.5 + 62.5 × 0.15 = 46.875
		{"one sighting", Evidence{Stated: -1, Reliability: -1, Sightings: 1}, 46.875},
		{"three sightings", Evidence{Stated: -1, Reliability: -1, Sightings: 3}, 37.5 + 62.5*(1-math.Pow(0.85, 3))},
		{"one false positive", Evidence{Stated: -1, Reliability: -1, FalsePositives: 1}, 18.75},
		{"two false positives", Evidence{Stated: -1, Reliability: -1, FalsePositives: 2}, 9.375},
		{"warning-list hit", Evidence{Stated: -1, Reliability: -1, Warned: true}, 9.375},
		// (80 + 20 × 0.25) = 85; + 15 × 0.15 = 87.25; × 0.5 = 43.625
		{"source, sighting and a false positive", Evidence{Stated: 80, Reliability: 100, Sources: 1, Sightings: 1, FalsePositives: 1}, 43.625},
	}
	for _, tt := range tests {
		if got := p.Base(tt.e); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("%s: Base(%+v) = %v, want %v", tt.name, tt.e, got, tt.want)
		}
	}
}

func TestBaseMonotonic(t *testing.T) {
	t.Parallel()
	var p Params
	base := Evidence{Stated: 60, Reliability: 60}
	prev := p.Base(base)
	for n := 1; n <= 12; n++ {
		e := base
		e.Sources = n
		got := p.Base(e)
		if got < prev || got > 100 {
			t.Errorf("Base with %d sources = %v after %v", n, got, prev)
		}
		prev = got
	}
	prev = p.Base(base)
	for n := 1; n <= 12; n++ {
		e := base
		e.FalsePositives = n
		got := p.Base(e)
		if got > prev || got < 0 {
			t.Errorf("Base with %d false positives = %v after %v", n, got, prev)
		}
		prev = got
	}
}

func TestParamsDefaults(t *testing.T) {
	t.Parallel()
	p := Params{DefaultStated: 70, DefaultReliability: 100, LowContext: 60,
		HalfLives: map[observable.Kind]time.Duration{observable.IPv4: 7 * Day}, DefaultHalfLife: 10 * Day}
	if got := p.Base(Evidence{Stated: -1, Reliability: -1}); got != 70 {
		t.Errorf("Base with defaults 70 and 100 = %v, want 70", got)
	}
	if got := p.HalfLife(observable.IPv4); got != 7*Day {
		t.Errorf("HalfLife(ipv4) = %v, want 7 days", got)
	}
	if got := p.HalfLife(observable.IPv6); got != 30*Day {
		t.Errorf("HalfLife(ipv6) = %v, want the default 30 days", got)
	}
	if got := p.IndicatorHalfLife(); got != 10*Day {
		t.Errorf("IndicatorHalfLife = %v, want 10 days", got)
	}
	if got := p.LowContextScore(); got != 60 {
		t.Errorf("LowContextScore = %v, want 60", got)
	}
	var zero Params
	if zero.IndicatorHalfLife() != DefaultHalfLife || zero.LowContextScore() != DefaultLowContext {
		t.Error("zero Params do not give the defaults")
	}
	for _, k := range observable.Kinds {
		if zero.HalfLife(k) <= 0 {
			t.Errorf("kind %s has no default half-life", k)
		}
	}
}

func TestDecay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		age, halfLife time.Duration
		want          float64
	}{
		{0, 30 * Day, 1},
		{-5 * Day, 30 * Day, 1}, // a reference in the future does not raise it
		{30 * Day, 30 * Day, 0.5},
		{60 * Day, 30 * Day, 0.25},
		{15 * Day, 30 * Day, math.Sqrt(0.5)},
		{365 * Day, 365 * Day, 0.5},
		{1000 * Day, 0, 1}, // no half-life: no decay
	}
	for _, tt := range tests {
		if got := Decay(tt.age, tt.halfLife); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("Decay(%v, %v) = %v, want %v", tt.age, tt.halfLife, got, tt.want)
		}
	}
}

func TestConfidence(t *testing.T) {
	t.Parallel()
	var p Params
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	ip := Timing{HalfLife: p.HalfLife(observable.IPv4), Reference: t0}
	hash := Timing{HalfLife: p.HalfLife(observable.SHA256), Reference: t0}
	a80 := Evidence{Stated: 80, Reliability: 100}
	tests := []struct {
		name string
		e    Evidence
		tm   Timing
		now  time.Time
		want int
	}{
		{"fresh", a80, ip, t0, 80},
		{"IP after one half-life", a80, ip, t0.Add(30 * Day), 40},
		{"IP after two half-lives", a80, ip, t0.Add(60 * Day), 20},
		{"hash after 30 days", a80, hash, t0.Add(30 * Day), 76}, // 80 × 0.5^(30/365) = 75.6
		{"hash after a year", a80, hash, t0.Add(365 * Day), 40},
		{"before the reference", a80, ip, t0.Add(-Day), 80},
		{"sighting then decay", Evidence{Stated: 80, Reliability: 100, Sightings: 1}, ip, t0.Add(30 * Day), 42}, // 83 × 0.5 = 41.5
		{"false positive then decay", Evidence{Stated: 80, Reliability: 100, FalsePositives: 1}, ip, t0.Add(30 * Day), 20},
		{"no decay without half-life", a80, Timing{Reference: t0}, t0.Add(3650 * Day), 80},
		{"valid_until passed", a80, Timing{HalfLife: 30 * Day, Reference: t0, ValidUntil: t0.Add(Day)}, t0.Add(Day), 0},
		{"valid_until ahead", a80, Timing{HalfLife: 30 * Day, Reference: t0, ValidUntil: t0.Add(2 * Day)}, t0.Add(Day), 78},
		{"revoked", a80, Timing{Reference: t0, Revoked: true}, t0, 0},
		{"warning-list hit", Evidence{Stated: 80, Reliability: 100, Warned: true}, ip, t0, 20},
	}
	for _, tt := range tests {
		if got := p.Confidence(tt.e, tt.tm, tt.now); got != tt.want {
			t.Errorf("%s: Confidence = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestContext(t *testing.T) {
	t.Parallel()
	all := KillChain | AttackPattern | MalwareOrTool | Actor | LongDescription | ValidUntil | ExternalReferences | Labels
	tests := []struct {
		name    string
		f       Features
		want    int
		missing []string
	}{
		{"nothing", 0, 0, []string{"kill chain phases", "related attack pattern", "related malware or tool",
			"related threat actor, intrusion set or campaign", "description", "validity window (valid_until)",
			"external references", "labels"}},
		{"everything", all, 100, nil},
		{"short description", ShortDescription, 5, []string{"kill chain phases", "related attack pattern", "related malware or tool",
			"related threat actor, intrusion set or campaign", "a longer description", "validity window (valid_until)",
			"external references", "labels"}},
		{"long and short", LongDescription | ShortDescription, 10, nil},
		{"typical feed indicator", KillChain | LongDescription | ExternalReferences | Labels, 45, []string{
			"related attack pattern", "related malware or tool", "related threat actor, intrusion set or campaign",
			"validity window (valid_until)"}},
		{"related only", AttackPattern | Actor, 30, nil},
	}
	for _, tt := range tests {
		if got := Context(tt.f); got != tt.want {
			t.Errorf("%s: Context = %d, want %d", tt.name, got, tt.want)
		}
		if tt.missing == nil {
			continue
		}
		if diff := cmp.Diff(tt.missing, Missing(tt.f)); diff != "" {
			t.Errorf("%s: Missing (-want +got):\n%s", tt.name, diff)
		}
	}
	if got := Missing(all); len(got) != 0 {
		t.Errorf("Missing(all) = %v", got)
	}
	for typ, want := range map[string]Features{"attack-pattern": AttackPattern, "malware": MalwareOrTool, "tool": MalwareOrTool,
		"threat-actor": Actor, "intrusion-set": Actor, "campaign": Actor, "indicator": 0, "identity": 0} {
		if got := RelatedFeature(typ); got != want {
			t.Errorf("RelatedFeature(%s) = %v, want %v", typ, got, want)
		}
	}
}

func TestParseReliability(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		grade string
		value int
		ok    bool
	}{
		{"A", "A", 100, true},
		{"b", "B", 80, true},
		{" C ", "C", 60, true},
		{"D", "D", 40, true},
		{"E", "E", 20, true},
		{"F", "F", 50, true},
		{"0", "", 0, true},
		{"73", "", 73, true},
		{"100", "", 100, true},
		{"101", "", 0, false},
		{"-1", "", 0, false},
		{"G", "", 0, false},
		{"", "", 0, false},
		{"7.5", "", 0, false},
	}
	for _, tt := range tests {
		r, err := ParseReliability(tt.in)
		if !tt.ok {
			if err == nil {
				t.Errorf("ParseReliability(%q) = %+v, want an error", tt.in, r)
			}
			continue
		}
		if err != nil || r.Grade != tt.grade || r.Value != tt.value {
			t.Errorf("ParseReliability(%q) = %+v, %v; want %s %d", tt.in, r, err, tt.grade, tt.value)
		}
	}
}
