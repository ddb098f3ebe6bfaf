package command

import "strconv"

func appendInt(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) }

// cmdLCS implements LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN]
// with Redis 7's dynamic programming and its backtracking order, so IDX
// lists the same ranges in the same order.
func cmdLCS(c *Ctx) {
	var getLen, getIdx, withMatchLen bool
	var minMatch int64
	for i := 3; i < len(c.Args); i++ {
		switch opt := lower(c.Args[i]); {
		case opt == "idx":
			getIdx = true
		case opt == "len":
			getLen = true
		case opt == "withmatchlen":
			withMatchLen = true
		case opt == "minmatchlen" && i+1 < len(c.Args):
			n, ok := c.intArg(i + 1)
			if !ok {
				return
			}
			if n < 0 {
				n = 0
			}
			minMatch = n
			i++
		default:
			c.Err(ErrSyntax)
			return
		}
	}
	var a, b []byte
	for k, dst := range []*[]byte{&a, &b} {
		db, ref, found := c.Lookup(c.Args[1+k])
		if !found {
			continue
		}
		if db.Kind(ref) != 0 {
			c.Err("ERR The specified keys must contain string values")
			return
		}
		*dst = db.Str(ref)
	}
	if getIdx && getLen {
		c.Err("ERR If you want both the length and indexes, please just use IDX.")
		return
	}
	alen, blen := len(a), len(b)
	if uint64(alen+1)*uint64(blen+1) > uint64(c.Env.Config.ProtoMaxBulkLen.Get())/4 {
		c.Err("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
		return
	}
	dp := make([]uint32, (alen+1)*(blen+1))
	at := func(i, j int) *uint32 { return &dp[j+i*(blen+1)] }
	for i := 0; i <= alen; i++ {
		for j := 0; j <= blen; j++ {
			switch {
			case i == 0 || j == 0:
				*at(i, j) = 0
			case a[i-1] == b[j-1]:
				*at(i, j) = *at(i-1, j-1) + 1
			default:
				x, y := *at(i-1, j), *at(i, j-1)
				if x > y {
					*at(i, j) = x
				} else {
					*at(i, j) = y
				}
			}
		}
	}
	idx := int(*at(alen, blen))
	if getLen {
		c.W.Int(int64(idx))
		return
	}
	result := make([]byte, idx)
	type match struct{ as, ae, bs, be, n int }
	var matches []match
	i, j := alen, blen
	aStart, aEnd, bStart, bEnd := alen, 0, 0, 0
	for i > 0 && j > 0 {
		emit := false
		if a[i-1] == b[j-1] {
			result[idx-1] = a[i-1]
			if aStart == alen {
				aStart, aEnd, bStart, bEnd = i-1, i-1, j-1, j-1
			} else if aStart == i && bStart == j {
				aStart--
				bStart--
			} else {
				emit = true
			}
			if aStart == 0 || bStart == 0 {
				emit = true
			}
			idx--
			i--
			j--
		} else {
			if *at(i-1, j) > *at(i, j-1) {
				i--
			} else {
				j--
			}
			if aStart != alen {
				emit = true
			}
		}
		if emit {
			n := aEnd - aStart + 1
			if minMatch == 0 || int64(n) >= minMatch {
				matches = append(matches, match{aStart, aEnd, bStart, bEnd, n})
			}
			aStart = alen
		}
	}
	if !getIdx {
		c.W.Bulk(result)
		return
	}
	w := c.W
	w.Map(2)
	w.BulkString("matches")
	w.Array(len(matches))
	for _, m := range matches {
		if withMatchLen {
			w.Array(3)
		} else {
			w.Array(2)
		}
		w.Array(2)
		w.Int(int64(m.as))
		w.Int(int64(m.ae))
		w.Array(2)
		w.Int(int64(m.bs))
		w.Int(int64(m.be))
		if withMatchLen {
			w.Int(int64(m.n))
		}
	}
	w.BulkString("len")
	w.Int(int64(len(result)))
}
