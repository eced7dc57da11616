package stix

import "slices"

// IndustrySectors returns the values of the STIX 2.1 industry-sector-ov
// vocabulary (section 10.12), in the specification's order. The slice is a
// copy the caller may keep.
func IndustrySectors() []string { return slices.Clone(industrySectorOV) }

// IsIndustrySector reports whether s is a value of industry-sector-ov.
func IsIndustrySector(s string) bool { return slices.Contains(industrySectorOV, s) }
