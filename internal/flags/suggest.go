package flags

// suggest returns the registered spelling closest to name, or "" when
// nothing is close enough to be a plausible typo.
func (s *Set) suggest(name string) string {
	key := Normalize(name)
	best, bestDist := "", -1
	consider := func(spelling string) {
		d := levenshtein(key, Normalize(spelling))
		if bestDist < 0 || d < bestDist {
			best, bestDist = spelling, d
		}
	}
	for _, f := range s.flags {
		consider(f.Name)
		for _, a := range f.Aliases {
			consider(a)
		}
	}
	for _, b := range []string{"flagfile", "help", "version"} {
		consider(b)
	}
	// Allow roughly one edit per four characters: enough for a dropped or
	// doubled letter in "maxmemroy", not so loose that "foo" suggests "port".
	limit := 1 + len(key)/4
	if limit > 3 {
		limit = 3
	}
	if bestDist < 0 || bestDist > limit {
		return ""
	}
	return best
}

// levenshtein is the edit distance between a and b (insertions, deletions
// and substitutions of bytes; flag names are ASCII).
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
