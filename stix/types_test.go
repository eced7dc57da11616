package stix

import (
	"slices"
	"testing"
)

func TestKnownTypes(t *testing.T) {
	for _, tc := range []struct {
		name              string
		known, observable bool
	}{
		{"indicator", true, false},
		{"relationship", true, false},
		{"marking-definition", true, false},
		{"ipv4-addr", true, true},
		{"file", true, true},
		{"x-acme-widget", false, false},
		{"indicatr", false, false},
	} {
		if got := KnownType(tc.name); got != tc.known {
			t.Errorf("KnownType(%q) = %v, want %v", tc.name, got, tc.known)
		}
		if got := IsObservableType(tc.name); got != tc.observable {
			t.Errorf("IsObservableType(%q) = %v, want %v", tc.name, got, tc.observable)
		}
	}
	obs := ObservableTypes()
	if len(obs) != 18 || !slices.Contains(obs, "network-traffic") || !slices.IsSorted(obs) {
		t.Errorf("ObservableTypes() = %v, want the 18 sorted cyber-observable types", obs)
	}
}
