package export

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/tearline/tearline/match"
)

// listKind is the kind of observable each blocklist takes.
var listKind = map[string]string{
	"blocklist-ip": kindIP, "blocklist-domain": kindDomain, "blocklist-url": kindURL, "blocklist-hash": kindHash,
}

// blocklist writes the values of the list's kind, each once; the other
// kinds are skipped.
func (x *Writer) blocklist(ind match.IndicatorJSON, items []item) error {
	want := listKind[x.format]
	for _, it := range items {
		if it.kind != want {
			x.skip(ind, it.kind+" "+it.value+" does not belong in "+x.format)
			continue
		}
		x.line(it.value + "\n")
	}
	return nil
}

// line writes s unless it was written before.
func (x *Writer) line(s string) {
	if x.lines[s] {
		return
	}
	x.lines[s] = true
	x.w.WriteString(s)
	x.n++
}

// csvRows writes one row per observable.
func (x *Writer) csvRows(ind match.IndicatorJSON, items []item) error {
	for _, it := range items {
		kind := it.kind
		if kind == kindHash {
			kind = it.algo
		}
		if err := x.csv.Write([]string{ind.ID, ind.Name, kind, it.value, ind.ValidFrom, ind.ValidUntil}); err != nil {
			return err
		}
		x.n++
	}
	return nil
}

// rpz writes domain names (the name and its subdomains answer NXDOMAIN)
// and addresses (answers holding them are refused: rpz-ip triggers).
func (x *Writer) rpz(ind match.IndicatorJSON, items []item) error {
	for _, it := range items {
		switch it.kind {
		case kindDomain:
			x.line(it.value + " CNAME .\n")
			x.line("*." + it.value + " CNAME .\n")
		case kindIP:
			p, err := netip.ParsePrefix(withBits(it.value))
			if err != nil {
				x.skip(ind, "address "+it.value+" cannot be written as an rpz-ip trigger")
				continue
			}
			x.line(rpzIP(p) + ".rpz-ip CNAME .\n")
		default:
			x.skip(ind, it.kind+" "+it.value+": a response policy zone blocks domain names and addresses only")
		}
	}
	return nil
}

// rpzIP writes a prefix as an RPZ IP trigger name: the prefix length,
// then the address reversed (IPv4 octets; IPv6 16-bit groups with the
// longest run of zeros as "zz").
func rpzIP(p netip.Prefix) string {
	a := p.Addr()
	parts := []string{strconv.Itoa(p.Bits())}
	if a.Is4() {
		b := a.As4()
		for i := 3; i >= 0; i-- {
			parts = append(parts, strconv.Itoa(int(b[i])))
		}
		return strings.Join(parts, ".")
	}
	b := a.As16()
	var groups [8]uint16
	for i := range groups {
		groups[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	// The longest run of zero groups (at least two) becomes zz.
	bestStart, bestLen := -1, 1
	for i := 0; i < 8; {
		if groups[i] != 0 {
			i++
			continue
		}
		j := i
		for j < 8 && groups[j] == 0 {
			j++
		}
		if j-i > bestLen {
			bestStart, bestLen = i, j-i
		}
		i = j
	}
	for i := 7; i >= 0; i-- {
		if bestStart >= 0 && i >= bestStart && i < bestStart+bestLen {
			if i == bestStart {
				parts = append(parts, "zz")
			}
			continue
		}
		parts = append(parts, strconv.FormatUint(uint64(groups[i]), 16))
	}
	return strings.Join(parts, ".")
}
