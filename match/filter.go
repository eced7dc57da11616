package match

import (
	"hash/maphash"
	"math/bits"
)

// keyFilter is a blocked Bloom filter of the equality keys, in front of
// Index.eq: most values looked up are in no indicator, and the filter,
// 2 bytes per key, answers for them from the processor's caches where the
// map (over 100 bytes per key) would miss them. Three bits of one 64-bit
// word per key: about 1% of absent keys pass it.
type keyFilter struct {
	seed  maphash.Seed
	words []uint64
	mask  uint64 // len(words)-1, a power of two minus one
}

// newKeyFilter returns a filter of the keys of eq.
func newKeyFilter(eq map[string]uint32) *keyFilter {
	// 16 bits per key, rounded up to a power of two of words.
	n := max(1, len(eq)*16/64)
	n = 1 << bits.Len(uint(n-1))
	f := &keyFilter{seed: maphash.MakeSeed(), words: make([]uint64, n), mask: uint64(n - 1)}
	for k := range eq {
		w, m := f.bits(maphash.String(f.seed, k))
		f.words[w] |= m
	}
	return f
}

// bits returns the word and the bits of a key's hash.
func (f *keyFilter) bits(h uint64) (uint64, uint64) {
	m := uint64(1)<<(h>>58) | uint64(1)<<(h>>52&63) | uint64(1)<<(h>>46&63)
	return h & f.mask, m
}

// mayHave reports whether key may be one of the filter's keys; false
// proves it is not.
func (f *keyFilter) mayHave(key []byte) bool {
	w, m := f.bits(maphash.Bytes(f.seed, key))
	return f.words[w]&m == m
}

// lookupEq returns the value of key in idx.eq.
func (idx *Index) lookupEq(key []byte) (uint32, bool) {
	if idx.filter != nil && !idx.filter.mayHave(key) {
		return 0, false
	}
	l, ok := idx.eq[string(key)]
	return l, ok
}
