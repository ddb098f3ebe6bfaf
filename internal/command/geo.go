package command

import (
	"bytes"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/damselfly-db/damselfly/internal/config"
	"github.com/damselfly-db/damselfly/internal/keyspace"
	"github.com/damselfly-db/damselfly/internal/value"
)

// Geo commands keep positions in a sorted set whose scores are 52-bit
// geohashes (internal/value/geohash.go): GEOADD is ZADD with computed
// scores, and searches scan the score ranges of the 3x3 block of geohash
// cells around the center, then filter by exact distance.

func registerGeo(t *Table) {
	geo := func(name string, arity int, flags Flag, first, last int, h func(*Ctx), since, summary string) *Spec {
		return &Spec{Name: name, Arity: arity, Flags: flags, First: first, Last: last, Step: 1, Handler: h,
			Group: "geo", Since: since, Summary: summary, Categories: []string{"geo"}}
	}
	w := Write | DenyOOM
	radius := geo("georadius", -6, w|MovableKeys, 1, 1, func(c *Ctx) { geoSearch(c, 1, geoRadiusCoords) }, "3.2.0", "Queries a geospatial index for members within a distance from a coordinate, optionally stores the result.")
	radius.KeysFn = geoRadiusKeys(6)
	byMember := geo("georadiusbymember", -5, w|MovableKeys, 1, 1, func(c *Ctx) { geoSearch(c, 1, geoRadiusMember) }, "3.2.0", "Queries a geospatial index for members within a distance from a member, optionally stores the result.")
	byMember.KeysFn = geoRadiusKeys(5)
	t.add(
		geo("geoadd", -5, w, 1, 1, cmdGeoAdd, "3.2.0", "Adds one or more members to a geospatial index. The key is created if it doesn't exist."),
		geo("geodist", -4, ReadOnly, 1, 1, cmdGeoDist, "3.2.0", "Returns the distance between two members of a geospatial index."),
		geo("geohash", -2, ReadOnly, 1, 1, cmdGeoHash, "3.2.0", "Returns members from a geospatial index as geohash strings."),
		geo("geopos", -2, ReadOnly, 1, 1, cmdGeoPos, "3.2.0", "Returns the longitude and latitude of members from a geospatial index."),
		geo("geosearch", -7, ReadOnly, 1, 1, func(c *Ctx) { geoSearch(c, 1, geoSearchCmd) }, "6.2.0", "Queries a geospatial index for members inside an area of a box or a circle."),
		geo("geosearchstore", -8, w, 1, 2, func(c *Ctx) { geoSearch(c, 2, geoSearchCmd|geoSearchStore) }, "6.2.0", "Queries a geospatial index for members inside an area of a box or a circle, optionally stores the result."),
		radius,
		geo("georadius_ro", -6, ReadOnly, 1, 1, func(c *Ctx) { geoSearch(c, 1, geoRadiusCoords|geoNoStore) }, "3.2.10", "Returns members from a geospatial index that are within a distance from a coordinate."),
		byMember,
		geo("georadiusbymember_ro", -5, ReadOnly, 1, 1, func(c *Ctx) { geoSearch(c, 1, geoRadiusMember|geoNoStore) }, "3.2.10", "Returns members from a geospatial index that are within a distance from a member."),
	)
}

// geoRadiusKeys finds GEORADIUS's keys as Redis 7's key specs do: the
// source, then the argument after the first STORE and after the first
// STOREDIST from argument `from` on (6 for GEORADIUS, 5 for
// GEORADIUSBYMEMBER). The destination the command really uses (the last
// STORE/STOREDIST) is added when it is not among them, so that it is locked.
func geoRadiusKeys(from int) func(args [][]byte) []int {
	return func(args [][]byte) []int {
		keys := []int{1}
		for _, kw := range []string{"store", "storedist"} {
			for i := from; i+1 < len(args); i++ {
				if lower(args[i]) == kw {
					keys = append(keys, i+1)
					break
				}
			}
		}
		last := -1
		for i := from; i+1 < len(args); i++ {
			if a := lower(args[i]); a == "store" || a == "storedist" {
				last = i + 1
				i++
			}
		}
		if last > 0 && !slices.Contains(keys, last) {
			keys = append(keys, last)
		}
		return keys
	}
}

// geoFloat parses a number like Redis's string2d: all of the argument is
// a strtod number (decimal, hexadecimal or inf), no leading blank, not NaN,
// not overflowing and not underflowing to zero.
func geoFloat(b []byte) (float64, bool) {
	if len(b) == 0 || bytes.IndexByte(b, 0) >= 0 || isBlank(b[0]) {
		return 0, false
	}
	s := string(b)
	neg := s[0] == '-'
	body := s
	if s[0] == '+' || s[0] == '-' {
		body = s[1:]
	}
	body = strings.ToLower(body)
	switch body {
	case "inf", "infinity":
		if neg {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	}
	hex := strings.HasPrefix(body, "0x")
	if !validStrtod(body, hex) {
		return 0, false
	}
	text := s
	if hex && !strings.Contains(body, "p") {
		text += "p0"
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || (f == 0 && !allZeroMantissa(body, hex)) {
		return 0, false
	}
	return f, true
}

// cFloat6 formats like C's "%f".
func cFloat6(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'f', 6, 64)
}

// geoLonLatArg parses a longitude and a latitude at args[i], args[i+1].
func (c *Ctx) geoLonLatArg(i int) (lon, lat float64, ok bool) {
	if lon, ok = geoFloat(c.Args[i]); !ok {
		c.Err(ErrNotFloat)
		return 0, 0, false
	}
	if lat, ok = geoFloat(c.Args[i+1]); !ok {
		c.Err(ErrNotFloat)
		return 0, 0, false
	}
	if lon < value.GeoLonMin || lon > value.GeoLonMax || lat < value.GeoLatMin || lat > value.GeoLatMax {
		c.Err("ERR invalid longitude,latitude pair " + cFloat6(lon) + "," + cFloat6(lat))
		return 0, 0, false
	}
	return lon, lat, true
}

// geoUnitArg returns meters per unit, or replies with Redis's error.
func (c *Ctx) geoUnitArg(b []byte) (float64, bool) {
	switch lower(b) {
	case "m":
		return 1, true
	case "km":
		return 1000, true
	case "ft":
		return 0.3048, true
	case "mi":
		return 1609.34, true
	}
	c.Err("ERR unsupported unit provided. please use M, KM, FT, MI")
	return 0, false
}

// geoDistanceArg parses "<radius> <unit>" at args[i].
func (c *Ctx) geoDistanceArg(i int) (radius, conv float64, ok bool) {
	if radius, ok = geoFloat(c.Args[i]); !ok {
		c.Err("ERR need numeric radius")
		return 0, 0, false
	}
	if radius < 0 {
		c.Err("ERR radius cannot be negative")
		return 0, 0, false
	}
	conv, ok = c.geoUnitArg(c.Args[i+1])
	return radius, conv, ok
}

// geoBoxArg parses "<width> <height> <unit>" at args[i].
func (c *Ctx) geoBoxArg(i int) (w, h, conv float64, ok bool) {
	if w, ok = geoFloat(c.Args[i]); !ok {
		c.Err("ERR need numeric width")
		return 0, 0, 0, false
	}
	if h, ok = geoFloat(c.Args[i+1]); !ok {
		c.Err("ERR need numeric height")
		return 0, 0, 0, false
	}
	if h < 0 || w < 0 {
		c.Err("ERR height or width cannot be negative")
		return 0, 0, 0, false
	}
	conv, ok = c.geoUnitArg(c.Args[i+2])
	return w, h, conv, ok
}

// geoDistText renders a distance with 4 decimals, rounding the scaled
// value to the nearest integer (ties to even) as Redis's llrint does.
func geoDistText(d float64) []byte {
	v := int64(math.RoundToEven(d * 10000))
	b := strconv.AppendInt(nil, v/10000, 10)
	frac := v % 10000
	b = append(b, '.')
	b = append(b, byte('0'+frac/1000), byte('0'+frac/100%10), byte('0'+frac/10%10), byte('0'+frac%10))
	return b
}

// humanDouble renders a coordinate like Redis's "%.17Lf" human format.
func humanDouble(f float64) []byte {
	if math.IsInf(f, 0) {
		if f > 0 {
			return []byte("inf")
		}
		return []byte("-inf")
	}
	b := strconv.AppendFloat(nil, f, 'f', 17, 64)
	b = bytes.TrimRight(b, "0")
	b = bytes.TrimSuffix(b, []byte("."))
	if string(b) == "-0" {
		b = []byte("0")
	}
	return b
}

// writeHumanDouble writes a coordinate: a RESP3 double, or a bulk string.
func (c *Ctx) writeHumanDouble(f float64) {
	b := humanDouble(f)
	if c.W.Proto >= 3 {
		c.W.Raw([]byte{','})
		c.W.Raw(b)
		c.W.Raw([]byte("\r\n"))
		return
	}
	c.W.Bulk(b)
}

// geoIndexOf looks a key up for reading as a sorted set. ok is false when
// WRONGTYPE was replied; idx is nil when the key does not exist.
func (c *Ctx) geoIndexOf(key []byte) (idx geoIndex, ok bool) {
	db, ref, exists := c.Lookup(key)
	if !exists {
		return nil, true
	}
	if db.Kind(ref) != value.ZSet {
		c.Err(ErrWrongType)
		return nil, false
	}
	return geoIndexAt(db, ref), true
}

func cmdGeoAdd(c *Ctx) {
	args := c.Args
	i := 2
	xx, nx := false, false
	for ; i < len(args); i++ {
		switch lower(args[i]) {
		case "nx":
			nx = true
			continue
		case "xx":
			xx = true
			continue
		case "ch":
			continue
		}
		break
	}
	if (len(args)-i)%3 != 0 || (xx && nx) {
		c.Err(ErrSyntax)
		return
	}
	// Rewrite as ZADD key [options] score member ... and let ZADD do it.
	zargs := make([][]byte, 0, i+(len(args)-i)/3*2)
	zargs = append(zargs, []byte("zadd"))
	zargs = append(zargs, args[1:i]...)
	for j := i; j < len(args); j += 3 {
		lon, lat, ok := c.geoLonLatArg(j)
		if !ok {
			return
		}
		score, _ := value.GeoScore(lon, lat)
		zargs = append(zargs, strconv.AppendInt(nil, int64(score), 10), args[j+2])
	}
	geoZAdd(c, zargs)
}

func cmdGeoDist(c *Ctx) {
	toMeter := 1.0
	switch {
	case len(c.Args) == 5:
		var ok bool
		if toMeter, ok = c.geoUnitArg(c.Args[4]); !ok {
			return
		}
	case len(c.Args) > 5:
		c.Err(ErrSyntax)
		return
	}
	idx, ok := c.geoIndexOf(c.Args[1])
	if !ok {
		return
	}
	if idx == nil {
		c.W.Null()
		return
	}
	s1, ok1 := idx.Score(c.Args[2])
	s2, ok2 := idx.Score(c.Args[3])
	if !ok1 || !ok2 {
		c.W.Null()
		return
	}
	lon1, lat1, _ := value.GeoDecodeScore(s1)
	lon2, lat2, _ := value.GeoDecodeScore(s2)
	// The fast distance renders the same 4 decimals unless it is a close
	// call at the rounding point.
	d := value.GeoDistanceFast(lon1, lat1, lon2, lat2) / toMeter
	if geoRoundingCloseCall(d) {
		d = value.GeoDistance(lon1, lat1, lon2, lat2) / toMeter
	}
	c.W.Bulk(geoDistText(d))
}

func cmdGeoHash(c *Ctx) {
	idx, ok := c.geoIndexOf(c.Args[1])
	if !ok {
		return
	}
	c.W.Array(len(c.Args) - 2)
	for _, m := range c.Args[2:] {
		var h string
		if idx != nil {
			if s, found := idx.Score(m); found {
				h, found = value.GeoHashString(s)
				if !found {
					h = ""
				}
			}
		}
		if h == "" {
			c.W.Null()
		} else {
			c.W.BulkString(h)
		}
	}
}

func cmdGeoPos(c *Ctx) {
	idx, ok := c.geoIndexOf(c.Args[1])
	if !ok {
		return
	}
	c.W.Array(len(c.Args) - 2)
	for _, m := range c.Args[2:] {
		if idx != nil {
			if s, found := idx.Score(m); found {
				if lon, lat, ok := value.GeoDecodeScore(s); ok {
					c.W.Array(2)
					c.writeHumanDouble(lon)
					c.writeHumanDouble(lat)
					continue
				}
			}
		}
		c.W.NullArray()
	}
}

// Search variants.
const (
	geoRadiusCoords = 1 << iota // GEORADIUS: around coordinates
	geoRadiusMember             // GEORADIUSBYMEMBER: around a member
	geoNoStore                  // the _RO forms: no STORE/STOREDIST
	geoSearchCmd                // GEOSEARCH syntax
	geoSearchStore              // GEOSEARCHSTORE
)

type geoPoint struct {
	member   []byte
	lon, lat float64
	dist     float64
	score    float64
	exact    bool // dist is GeoDistance's, not the fast one
}

// geoRoundingCloseCall reports a distance whose 4-decimal rendering could
// depend on its last bits.
func geoRoundingCloseCall(d float64) bool {
	x := d * 10000
	margin := 64 * (math.Nextafter(d, math.Inf(1)) - d) * 10000
	return math.Abs(x-math.Floor(x)-0.5) <= margin || math.IsNaN(x) || math.IsInf(x, 0)
}

// geoSearch implements GEORADIUS[BYMEMBER][_RO], GEOSEARCH and
// GEOSEARCHSTORE, checking arguments in Redis's order.
func geoSearch(c *Ctx, srcIdx int, flags int) {
	args := c.Args
	idx, ok := c.geoIndexOf(args[srcIdx])
	if !ok {
		return
	}
	var storeKey []byte
	storeDist := false
	shape := value.GeoShape{}
	var base int
	switch {
	case flags&geoRadiusCoords != 0:
		base = 6
		if shape.Lon, shape.Lat, ok = c.geoLonLatArg(2); !ok {
			return
		}
		if shape.Radius, shape.Conversion, ok = c.geoDistanceArg(base - 2); !ok {
			return
		}
	case flags&geoRadiusMember != 0 && idx == nil:
		base = 5
	case flags&geoRadiusMember != 0:
		base = 5
		s, found := idx.Score(args[2])
		if !found {
			c.Err("ERR could not decode requested zset member")
			return
		}
		shape.Lon, shape.Lat, _ = value.GeoDecodeScore(s)
		if shape.Radius, shape.Conversion, ok = c.geoDistanceArg(base - 2); !ok {
			return
		}
	default:
		base = 2
		if flags&geoSearchStore != 0 {
			base = 3
			storeKey = args[1]
		}
	}

	var withDist, withHash, withCoord, fromMember, fromLoc, byRadius, byBox, any bool
	sortDir := 0 // 0 none, 1 asc, 2 desc
	var count int64
	search := flags&geoSearchCmd != 0
	noStore := flags&geoNoStore != 0
	rem := len(args) - base
	for i := 0; i < rem; i++ {
		a := lower(args[base+i])
		switch {
		case a == "withdist":
			withDist = true
		case a == "withhash":
			withHash = true
		case a == "withcoord":
			withCoord = true
		case a == "any":
			any = true
		case a == "asc":
			sortDir = 1
		case a == "desc":
			sortDir = 2
		case a == "count" && i+1 < rem:
			if count, ok = c.intArg(base + i + 1); !ok {
				return
			}
			if count <= 0 {
				c.Err("ERR COUNT must be > 0")
				return
			}
			i++
		case (a == "store" || a == "storedist") && i+1 < rem && !noStore && !search:
			storeKey = args[base+i+1]
			storeDist = a == "storedist"
			i++
		case a == "storedist" && search && flags&geoSearchStore != 0:
			storeDist = true
		case a == "frommember" && i+1 < rem && search && !fromLoc:
			if idx != nil {
				s, found := idx.Score(args[base+i+1])
				if !found {
					c.Err("ERR could not decode requested zset member")
					return
				}
				shape.Lon, shape.Lat, _ = value.GeoDecodeScore(s)
			}
			fromMember = true
			i++
		case a == "fromlonlat" && i+2 < rem && search && !fromMember:
			if shape.Lon, shape.Lat, ok = c.geoLonLatArg(base + i + 1); !ok {
				return
			}
			fromLoc = true
			i += 2
		case a == "byradius" && i+2 < rem && search && !byBox:
			if shape.Radius, shape.Conversion, ok = c.geoDistanceArg(base + i + 1); !ok {
				return
			}
			shape.Box = false
			byRadius = true
			i += 2
		case a == "bybox" && i+3 < rem && search && !byRadius:
			if shape.Width, shape.Height, shape.Conversion, ok = c.geoBoxArg(base + i + 1); !ok {
				return
			}
			shape.Box = true
			byBox = true
			i += 3
		default:
			c.Err(ErrSyntax)
			return
		}
	}

	if storeKey != nil && (withDist || withHash || withCoord) {
		what := "STORE option in GEORADIUS"
		if flags&geoSearchStore != 0 {
			what = "GEOSEARCHSTORE"
		}
		c.Err("ERR " + what + " is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
		return
	}
	if search && !(fromMember || fromLoc) {
		c.Err("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " + string(args[0]))
		return
	}
	if search && !(byRadius || byBox) {
		c.Err("ERR exactly one of BYRADIUS and BYBOX can be specified for " + string(args[0]))
		return
	}
	if any && count == 0 {
		c.Err("ERR the ANY argument requires COUNT argument")
		return
	}

	if idx == nil {
		if storeKey != nil {
			if c.DB(storeKey).Delete(storeKey) {
				c.Notify(config.EventGeneric, "del", storeKey)
			}
			c.W.Int(0)
		} else {
			c.W.Array(0)
		}
		return
	}
	if count != 0 && sortDir == 0 && !any {
		sortDir = 1
	}

	limit := 0
	if any {
		limit = int(count)
	}
	points := geoCollect(idx, &shape, limit)
	if len(points) == 0 && storeKey == nil {
		c.W.Array(0)
		return
	}
	// Distances: the fast haversine, replaced by the exact one (glibc's
	// results, see value.GeoDistance) wherever the last bits can show: in
	// close comparisons, at a rounding boundary of WITHDIST, and in
	// STOREDIST scores.
	if sortDir != 0 || withDist || storeDist {
		for i := range points {
			p := &points[i]
			p.dist = value.GeoDistanceFast(shape.Lon, shape.Lat, p.lon, p.lat)
		}
	}
	exact := func(p *geoPoint) float64 {
		if !p.exact {
			p.dist = value.GeoDistance(shape.Lon, shape.Lat, p.lon, p.lat)
			p.exact = true
		}
		return p.dist
	}
	if sortDir != 0 {
		// Sort indexes with the scan position as the last key (Redis's
		// merge sort keeps equal distances in scan order).
		order := make([]int32, len(points))
		for i := range order {
			order[i] = int32(i)
		}
		slices.SortFunc(order, func(ia, ib int32) int {
			a, b := &points[ia], &points[ib]
			x, y := a.dist, b.dist
			if value.GeoCloseCall(x, y) {
				x, y = exact(a), exact(b)
			}
			r := 0
			switch {
			case x < y:
				r = -1
			case x > y:
				r = 1
			}
			if sortDir == 2 {
				r = -r
			}
			if r == 0 {
				r = int(ia - ib)
			}
			return r
		})
		sorted := make([]geoPoint, len(points))
		for i, j := range order {
			sorted[i] = points[j]
		}
		points = sorted
	}
	n := len(points)
	if count != 0 && int64(n) > count {
		n = int(count)
	}
	points = points[:n]
	for i := range points {
		p := &points[i]
		if storeDist || (withDist && geoRoundingCloseCall(p.dist/shape.Conversion)) {
			exact(p)
		}
		p.dist /= shape.Conversion
	}

	if storeKey == nil {
		opts := 0
		for _, b := range []bool{withDist, withCoord, withHash} {
			if b {
				opts++
			}
		}
		c.W.Array(n)
		for _, p := range points {
			if opts > 0 {
				c.W.Array(opts + 1)
			}
			c.W.Bulk(p.member)
			if withDist {
				c.W.Bulk(geoDistText(p.dist))
			}
			if withHash {
				c.W.Int(int64(p.score))
			}
			if withCoord {
				c.W.Array(2)
				c.writeHumanDouble(p.lon)
				c.writeHumanDouble(p.lat)
			}
		}
		return
	}
	db := c.DB(storeKey)
	if n > 0 {
		members := make([][]byte, n)
		scores := make([]float64, n)
		for i, p := range points {
			members[i] = p.member
			scores[i] = p.score
			if storeDist {
				scores[i] = p.dist
			}
		}
		geoStoreZSet(c, db, storeKey, members, scores)
		event := "georadiusstore"
		if search {
			event = "geosearchstore"
		}
		c.Notify(config.EventZSet, event, storeKey)
	} else if db.Delete(storeKey) {
		c.Notify(config.EventGeneric, "del", storeKey)
	}
	c.W.Int(int64(n))
}

// geoCollect scans the cells of the search area in Redis's order and keeps
// the points inside the shape, stopping at limit points when limit > 0.
func geoCollect(idx geoIndex, shape *value.GeoShape, limit int) []geoPoint {
	cells := value.GeoSearchAreas(shape)
	var points []geoPoint
	var arena []byte // members are copied here, a block at a time
	last := -1
	for i, cell := range cells {
		if cell.IsZero() {
			continue
		}
		// With huge radii neighbouring cells can be the same: skip a cell
		// equal to the last one scanned.
		if last > 0 && cell == cells[last] {
			continue
		}
		if limit > 0 && len(points) >= limit {
			break
		}
		lo, hi := value.GeoBoxScores(cell)
		idx.RangeByScore(lo, hi, func(member []byte, score float64) bool {
			if lon, lat, in := shape.Within(score); in {
				if len(arena)+len(member) > cap(arena) {
					arena = make([]byte, 0, max(1024, 2*cap(arena), len(member)))
				}
				at := len(arena)
				arena = append(arena, member...)
				points = append(points, geoPoint{member: arena[at:len(arena):len(arena)], lon: lon, lat: lat, score: score})
			}
			return !(limit > 0 && len(points) >= limit)
		})
		last = i
	}
	return points
}

// geoIndex is what the geo commands need from a sorted set.
type geoIndex interface {
	// Score returns member's score.
	Score(member []byte) (float64, bool)
	// RangeByScore visits members with lo <= score < hi in ascending
	// order until fn returns false.
	RangeByScore(lo, hi float64, fn func(member []byte, score float64) bool)
}

// geoIndexAt adapts the sorted set at ref.
func geoIndexAt(db *keyspace.DB, ref keyspace.Ref) geoIndex {
	return zsetGeoIndex{db.Obj(ref).(*value.SortedSet)}
}

type zsetGeoIndex struct{ z *value.SortedSet }

func (g zsetGeoIndex) Score(member []byte) (float64, bool) { return g.z.Score(member) }

func (g zsetGeoIndex) RangeByScore(lo, hi float64, fn func(member []byte, score float64) bool) {
	r := value.ZScoreRange{Min: lo, Max: hi, MaxEx: true}
	a, b := g.z.ScoreBounds(&r)
	g.z.Range(a, b, false, fn)
}

// geoZAdd runs ZADD with the given arguments on behalf of GEOADD, as Redis
// does (same replies, errors and events).
func geoZAdd(c *Ctx, zargs [][]byte) {
	saved := c.Args
	c.Args = zargs
	zaddGeneric(c, false)
	c.Args = saved
}

// geoStoreZSet stores a new sorted set under key, replacing any value. Like
// Redis it takes the compact encoding when the result is small enough.
func geoStoreZSet(c *Ctx, db *keyspace.DB, key []byte, members [][]byte, scores []float64) {
	maxLen := 0
	for _, m := range members {
		maxLen = max(maxLen, len(m))
	}
	lim := c.zsetLimits()
	z := value.NewZSetFor(len(members), maxLen, lim)
	for i, m := range members {
		z.Set(m, scores[i], lim)
	}
	db.SetObject(key, z, false)
}
