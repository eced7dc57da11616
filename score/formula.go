// Package score computes the server's confidence and context scores of
// stored STIX objects. Scores are server metadata: they are kept beside
// the object versions (tearline.Scores), never written into them.
//
// # Confidence (0-100)
//
// From the evidence about an object version:
//
//	S  stated confidence: the object's confidence property (0-100);
//	   Params.DefaultStated (50) when absent
//	R  reliability of the submitting organization (0-100, admin-set:
//	   A 100, B 80, C 60, D 40, E 20, F 50, or a number);
//	   Params.DefaultReliability (50) when not set
//	k  independent corroborating organizations: for each value the
//	   object carries (observable index), the organizations other than
//	   the submitter that submitted it; the largest count over the values
//	p  positive sightings of the object (sighting objects whose
//	   sighting_of_ref is it)
//	f  false-positive reports: sightings of it marked
//	   "x_tearline_false_positive": true, and opinions whose object_refs
//	   name it with opinion "disagree" or "strongly-disagree"
//	w  whether any of its values is on a warning list (package warnlist)
//
// the confidence before decay is
//
//	B  = S × (0.5 + R/200)                   reliability weighs the claim: ×1 at A, ×0.5 at 0
//	C  = B + (100 − B) × (1 − 0.75^min(k,10))  each corroborating source closes 25% of the gap to 100
//	P  = C + (100 − C) × (1 − 0.85^min(p,20))  each sighting closes 15% of the remaining gap
//	F  = P × 0.5^min(f,10)                     each false-positive report halves it
//	W  = F × 0.25 if w, else F                 a warning-list hit quarters it
//
// and the confidence at time t is
//
//	W × 0.5^((t − ref) / half-life)
//
// rounded to the nearest integer; 0 once valid_until has passed or the
// version is revoked. ref is the latest of the version's modified (else
// created) timestamp, the last submission of one of its values by a
// corroborating organization, and the last_seen of its latest positive
// sighting; objects without timestamps (cyber-observables) start from
// when the server first scored them. The half-life follows the kind of
// the object's values (the shortest when it has several): IP addresses
// 30 days, URLs 60, domains 90, e-mail addresses 180, MAC addresses and
// file hashes 365 (Params.HalfLives); indicators whose values are not
// known (other pattern languages, patterns on other properties) 90 days
// (Params.DefaultHalfLife); other objects do not decay.
//
// # Context (0-100)
//
// Points for what the object carries or is related to (Features):
//
//	kill chain phases                                20
//	relationship to an attack pattern                15
//	relationship to malware or a tool                15
//	relationship to a threat actor, intrusion set
//	  or campaign                                    15
//	description of 100 characters or more           10 (5 when shorter)
//	validity window (valid_until)                    10
//	external references                              10
//	labels or indicator types                         5
//
// A relationship counts whichever end the object is, whatever its
// relationship_type. An indicator whose context score is below
// Params.LowContext (40) gets a warning on its receipt naming what is
// missing.
package score

import (
	"math"
	"time"

	"github.com/tearline/tearline/observable"
)

// Defaults of Params.
const (
	DefaultStated      = 50
	DefaultReliability = 50
	DefaultLowContext  = 40
	// DefaultHalfLife is the half-life of indicators whose values are
	// not known.
	DefaultHalfLife = 90 * 24 * time.Hour
)

// Day is 24 hours, the unit of half-lives in text.
const Day = 24 * time.Hour

// DefaultHalfLives are the half-lives of the observable kinds.
var DefaultHalfLives = map[observable.Kind]time.Duration{
	observable.IPv4:     30 * Day,
	observable.IPv6:     30 * Day,
	observable.URL:      60 * Day,
	observable.Domain:   90 * Day,
	observable.Email:    180 * Day,
	observable.MAC:      365 * Day,
	observable.MD5:      365 * Day,
	observable.SHA1:     365 * Day,
	observable.SHA256:   365 * Day,
	observable.SHA512:   365 * Day,
	observable.SHA3_256: 365 * Day,
	observable.SHA3_512: 365 * Day,
	observable.SSDEEP:   365 * Day,
	observable.TLSH:     365 * Day,
}

// Params are the constants of the formulas (see the package comment).
// The zero value of a field means its default.
type Params struct {
	DefaultStated      int
	DefaultReliability int
	// HalfLives override DefaultHalfLives per kind.
	HalfLives       map[observable.Kind]time.Duration
	DefaultHalfLife time.Duration
	// LowContext is the context score below which an indicator's receipt
	// warns.
	LowContext int
}

// Evidence is what the confidence of an object version is computed from.
type Evidence struct {
	// Stated is the object's confidence property; -1 when absent.
	Stated int
	// Reliability is the submitting organization's (0-100); -1 when not
	// set.
	Reliability    int
	Sources        int // independent corroborating organizations
	Sightings      int // positive sightings
	FalsePositives int // false-positive reports
	Warned         bool
}

// Formula constants (see the package comment).
const (
	sourceGain      = 0.25
	maxSources      = 10
	sightingGain    = 0.15
	maxSightings    = 20
	falsePositive   = 0.5
	maxFalseReports = 10
	warningFactor   = 0.25
)

func (p *Params) stated() int {
	if p.DefaultStated > 0 {
		return min(p.DefaultStated, 100)
	}
	return DefaultStated
}

func (p *Params) reliability() int {
	if p.DefaultReliability > 0 {
		return min(p.DefaultReliability, 100)
	}
	return DefaultReliability
}

// LowContextScore returns the context score below which receipts warn.
func (p *Params) LowContextScore() int {
	if p.LowContext > 0 {
		return p.LowContext
	}
	return DefaultLowContext
}

// HalfLife returns the half-life of a kind.
func (p *Params) HalfLife(k observable.Kind) time.Duration {
	if d, ok := p.HalfLives[k]; ok && d > 0 {
		return d
	}
	return DefaultHalfLives[k]
}

// IndicatorHalfLife returns the half-life of an indicator whose values
// are not known.
func (p *Params) IndicatorHalfLife() time.Duration {
	if p.DefaultHalfLife > 0 {
		return p.DefaultHalfLife
	}
	return DefaultHalfLife
}

// Base returns the confidence of e before decay, unrounded (W in the
// package comment).
func (p *Params) Base(e Evidence) float64 {
	s, r := e.Stated, e.Reliability
	if s < 0 {
		s = p.stated()
	}
	if r < 0 {
		r = p.reliability()
	}
	s, r = clamp(s), clamp(r)
	v := float64(s) * (0.5 + float64(r)/200)
	v = closeGap(v, sourceGain, min(e.Sources, maxSources))
	v = closeGap(v, sightingGain, min(e.Sightings, maxSightings))
	v *= math.Pow(falsePositive, float64(min(e.FalsePositives, maxFalseReports)))
	if e.Warned {
		v *= warningFactor
	}
	return v
}

// closeGap closes the fraction gain of the gap between v and 100, n
// times.
func closeGap(v, gain float64, n int) float64 {
	if n <= 0 {
		return v
	}
	return v + (100-v)*(1-math.Pow(1-gain, float64(n)))
}

// Decay returns the factor 0.5^(age/halfLife): 1 for a half-life of 0
// (no decay) or an age of 0 or less.
func Decay(age, halfLife time.Duration) float64 {
	if halfLife <= 0 || age <= 0 {
		return 1
	}
	return math.Exp2(-float64(age) / float64(halfLife))
}

// Timing is what the decay of a confidence depends on.
type Timing struct {
	HalfLife   time.Duration // 0: no decay
	Reference  time.Time     // decay runs from here
	ValidUntil time.Time     // zero: none
	Revoked    bool
}

// Confidence returns the confidence (0-100) of evidence e with timing tm
// at time now.
func (p *Params) Confidence(e Evidence, tm Timing, now time.Time) int {
	if tm.Revoked || !tm.ValidUntil.IsZero() && !now.Before(tm.ValidUntil) {
		return 0
	}
	return round(p.Base(e) * Decay(now.Sub(tm.Reference), tm.HalfLife))
}

// round rounds v to the nearest integer in 0-100.
func round(v float64) int {
	return clamp(int(math.Round(v)))
}

func clamp(v int) int { return max(0, min(v, 100)) }
