package match

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tearline/tearline/stix/pattern"
)

// ErrNotSTIXPattern is returned by ParseIndicator for an indicator whose
// pattern_type is not stix (Snort, Suricata, YARA, Sigma...): the matcher
// runs STIX patterns only.
var ErrNotSTIXPattern = errors.New("pattern_type is not stix")

// ErrRevoked is returned by ParseIndicator for a revoked indicator.
var ErrRevoked = errors.New("revoked")

// IndicatorJSON are the properties of a STIX indicator the matcher and
// the exports read.
type IndicatorJSON struct {
	Type        string `json:"type"`
	ID          string `json:"id"`
	Name        string `json:"name"`
	Modified    string `json:"modified"`
	Pattern     string `json:"pattern"`
	PatternType string `json:"pattern_type"`
	ValidFrom   string `json:"valid_from"`
	ValidUntil  string `json:"valid_until"`
	Revoked     bool   `json:"revoked"`
}

// ParseIndicator reads a STIX indicator (2.1, or 2.0 without
// pattern_type) for the matcher: its id, parsed pattern and validity. It
// returns ErrNotSTIXPattern or ErrRevoked for indicators the matcher does
// not run, and an error naming the property for one it cannot read (the
// pattern's error is a *pattern.Error).
func ParseIndicator(raw []byte) (Indicator, IndicatorJSON, error) {
	var j IndicatorJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return Indicator{}, j, fmt.Errorf("not a STIX object: %w", err)
	}
	if j.Type != "indicator" {
		return Indicator{}, j, fmt.Errorf("type %q is not indicator", j.Type)
	}
	if j.Revoked {
		return Indicator{}, j, ErrRevoked
	}
	if j.PatternType != "" && j.PatternType != "stix" {
		return Indicator{}, j, ErrNotSTIXPattern
	}
	p, err := pattern.Parse(j.Pattern)
	if err != nil {
		return Indicator{}, j, fmt.Errorf("pattern: %w", err)
	}
	ind := Indicator{ID: j.ID, Pattern: p}
	if j.ValidFrom != "" {
		if ind.ValidFrom, err = time.Parse(time.RFC3339Nano, j.ValidFrom); err != nil {
			return Indicator{}, j, fmt.Errorf("valid_from: %w", err)
		}
	}
	if j.ValidUntil != "" {
		if ind.ValidUntil, err = time.Parse(time.RFC3339Nano, j.ValidUntil); err != nil {
			return Indicator{}, j, fmt.Errorf("valid_until: %w", err)
		}
	}
	return ind, j, nil
}
