package value

import "math"

// Geohash: the 52-bit interleaved encoding Redis stores as a sorted-set
// score for GEOADD, the search-area computation GEORADIUS/GEOSEARCH use,
// and the haversine distance, computed in the same float64 steps as Redis
// so that scores, positions, distances and search results agree with
// redis-server exactly.
//
// A position is cut into 2^26 x 2^26 cells over longitude -180..180 and
// latitude -85.05112878..85.05112878 (the Web Mercator limits). A cell's
// bits interleave latitude (even bits) and longitude (odd bits), most
// significant first, so a prefix of the hash is a larger cell and every
// point of a cell has a score in [prefix<<k, (prefix+1)<<k).

const (
	GeoStepMax = 26 // 26*2 = 52 bits
	GeoLatMin  = -85.05112878
	GeoLatMax  = 85.05112878
	GeoLonMin  = -180.0
	GeoLonMax  = 180.0

	// EarthRadiusMeters is the quadratic mean radius of WGS-84.
	EarthRadiusMeters = 6372797.560856
	mercatorMax       = 20037726.37
)

// degToRad is M_PI/180 as a C program computes it: the double nearest pi
// divided by 180 in double arithmetic (not the exact quotient).
var degToRad = func() float64 {
	pi := math.Pi
	return pi / 180.0
}()

func degRad(a float64) float64 { return a * degToRad }
func radDeg(a float64) float64 { return a / degToRad }

// GeoHashBits is a hash of step*2 bits.
type GeoHashBits struct {
	Bits uint64
	Step uint8
}

// IsZero reports an unset hash (an excluded neighbour).
func (h GeoHashBits) IsZero() bool { return h.Bits == 0 && h.Step == 0 }

// GeoRange is a coordinate interval.
type GeoRange struct{ Min, Max float64 }

// GeoArea is the cell a hash names.
type GeoArea struct {
	Hash     GeoHashBits
	Lon, Lat GeoRange
}

var (
	geoLonRange = GeoRange{GeoLonMin, GeoLonMax}
	geoLatRange = GeoRange{GeoLatMin, GeoLatMax}
)

// spread moves the low 32 bits of v to the even bit positions.
func spread(v uint64) uint64 {
	v = (v | v<<16) & 0x0000FFFF0000FFFF
	v = (v | v<<8) & 0x00FF00FF00FF00FF
	v = (v | v<<4) & 0x0F0F0F0F0F0F0F0F
	v = (v | v<<2) & 0x3333333333333333
	v = (v | v<<1) & 0x5555555555555555
	return v
}

// squash gathers the even bits of v into the low 32 bits.
func squash(v uint64) uint64 {
	v &= 0x5555555555555555
	v = (v | v>>1) & 0x3333333333333333
	v = (v | v>>2) & 0x0F0F0F0F0F0F0F0F
	v = (v | v>>4) & 0x00FF00FF00FF00FF
	v = (v | v>>8) & 0x0000FFFF0000FFFF
	v = (v | v>>16) & 0x00000000FFFFFFFF
	return v
}

func interleave(lat, lon uint32) uint64 { return spread(uint64(lat)) | spread(uint64(lon))<<1 }

// GeoEncode hashes a position within the given ranges to step*2 bits. It
// fails (false) outside the Web Mercator limits or the ranges.
func GeoEncode(lonR, latR GeoRange, lon, lat float64, step uint8) (GeoHashBits, bool) {
	if step > 32 || step == 0 || (latR.Min == 0 && latR.Max == 0) || (lonR.Min == 0 && lonR.Max == 0) {
		return GeoHashBits{}, false
	}
	if lon > GeoLonMax || lon < GeoLonMin || lat > GeoLatMax || lat < GeoLatMin {
		return GeoHashBits{}, false
	}
	h := GeoHashBits{Step: step}
	if lat < latR.Min || lat > latR.Max || lon < lonR.Min || lon > lonR.Max {
		return h, false
	}
	latOff := (lat - latR.Min) / (latR.Max - latR.Min)
	lonOff := (lon - lonR.Min) / (lonR.Max - lonR.Min)
	scale := float64(uint64(1) << step)
	latOff *= scale
	lonOff *= scale
	h.Bits = interleave(uint32(latOff), uint32(lonOff))
	return h, true
}

// GeoEncodeWGS84 hashes a position over the Mercator ranges.
func GeoEncodeWGS84(lon, lat float64, step uint8) (GeoHashBits, bool) {
	return GeoEncode(geoLonRange, geoLatRange, lon, lat, step)
}

// GeoDecode returns the cell of h within the given ranges.
func GeoDecode(lonR, latR GeoRange, h GeoHashBits) (GeoArea, bool) {
	if h.IsZero() || (latR.Min == 0 && latR.Max == 0) || (lonR.Min == 0 && lonR.Max == 0) {
		return GeoArea{}, false
	}
	a := GeoArea{Hash: h}
	latBits := uint32(squash(h.Bits))
	lonBits := uint32(squash(h.Bits >> 1))
	latScale := latR.Max - latR.Min
	lonScale := lonR.Max - lonR.Min
	div := float64(uint64(1) << h.Step)
	// latBits+1 wraps in 32 bits like Redis's uint32 arithmetic (only
	// reachable for scores beyond 52 bits).
	a.Lat.Min = latR.Min + (float64(latBits)*1.0/div)*latScale
	a.Lat.Max = latR.Min + (float64(latBits+1)*1.0/div)*latScale
	a.Lon.Min = lonR.Min + (float64(lonBits)*1.0/div)*lonScale
	a.Lon.Max = lonR.Min + (float64(lonBits+1)*1.0/div)*lonScale
	return a, true
}

// GeoDecodeWGS84 returns the cell of h over the Mercator ranges.
func GeoDecodeWGS84(h GeoHashBits) (GeoArea, bool) { return GeoDecode(geoLonRange, geoLatRange, h) }

// Center is the middle of the cell, clamped to the Mercator limits.
func (a GeoArea) Center() (lon, lat float64) {
	lon = (a.Lon.Min + a.Lon.Max) / 2
	if lon > GeoLonMax {
		lon = GeoLonMax
	}
	if lon < GeoLonMin {
		lon = GeoLonMin
	}
	lat = (a.Lat.Min + a.Lat.Max) / 2
	if lat > GeoLatMax {
		lat = GeoLatMax
	}
	if lat < GeoLatMin {
		lat = GeoLatMin
	}
	return lon, lat
}

// GeoScore is the sorted-set score GEOADD stores for a position, and
// whether the position is valid.
func GeoScore(lon, lat float64) (float64, bool) {
	h, ok := GeoEncodeWGS84(lon, lat, GeoStepMax)
	if !ok {
		return 0, false
	}
	return float64(GeoAlign52(h)), true
}

// GeoAlign52 shifts a hash to the 52-bit score scale.
func GeoAlign52(h GeoHashBits) uint64 { return h.Bits << (52 - uint(h.Step)*2) }

// GeoDecodeScore returns the position a score stands for (the center of
// its 52-bit cell).
func GeoDecodeScore(score float64) (lon, lat float64, ok bool) {
	// GeoDecodeWGS84 at step 26, unrolled: dividing by 2^26 is the same
	// as multiplying by 2^-26 (exact), so the results are identical.
	bits := cDoubleToU64(score)
	latBits := uint32(squash(bits))
	lonBits := uint32(squash(bits >> 1))
	const inv = 1.0 / (1 << GeoStepMax)
	const latScale = GeoLatMax - GeoLatMin
	const lonScale = GeoLonMax - GeoLonMin
	a := GeoArea{
		Lat: GeoRange{GeoLatMin + (float64(latBits)*inv)*latScale, GeoLatMin + (float64(latBits+1)*inv)*latScale},
		Lon: GeoRange{GeoLonMin + (float64(lonBits)*inv)*lonScale, GeoLonMin + (float64(lonBits+1)*inv)*lonScale},
	}
	lon, lat = a.Center()
	return lon, lat, true
}

// cDoubleToU64 converts like a C (uint64_t) cast compiled for x86-64, for
// scores that are not geohashes (negative, or beyond 2^64): Go's own
// conversion of such values differs.
func cDoubleToU64(f float64) uint64 {
	const two63 = 1 << 63
	if f >= two63 {
		if g := f - two63; g < two63 {
			return uint64(int64(g)) + two63
		}
		return 0
	}
	if f >= -two63 {
		return uint64(int64(f))
	}
	return 1 << 63 // below -2^63, or NaN
}

const geoAlphabet = "0123456789bcdefghjkmnpqrstuvwxyz"

// GeoHashString is the 11-character standard geohash GEOHASH reports for a
// score: decoded, re-encoded over latitude -90..90, the last character 0.
func GeoHashString(score float64) (string, bool) {
	lon, lat, ok := GeoDecodeScore(score)
	if !ok {
		return "", false
	}
	h, _ := GeoEncode(GeoRange{-180, 180}, GeoRange{-90, 90}, lon, lat, 26)
	var buf [11]byte
	for i := range buf {
		idx := 0
		if i < 10 {
			idx = int(h.Bits>>(52-(i+1)*5)) & 0x1f
		}
		buf[i] = geoAlphabet[idx]
	}
	return string(buf[:]), true
}

func (h *GeoHashBits) moveX(d int) {
	if d == 0 {
		return
	}
	x := h.Bits & 0xaaaaaaaaaaaaaaaa
	y := h.Bits & 0x5555555555555555
	zz := uint64(0x5555555555555555) >> (64 - uint(h.Step)*2)
	if d > 0 {
		x += zz + 1
	} else {
		x |= zz
		x -= zz + 1
	}
	x &= 0xaaaaaaaaaaaaaaaa >> (64 - uint(h.Step)*2)
	h.Bits = x | y
}

func (h *GeoHashBits) moveY(d int) {
	if d == 0 {
		return
	}
	x := h.Bits & 0xaaaaaaaaaaaaaaaa
	y := h.Bits & 0x5555555555555555
	zz := uint64(0xaaaaaaaaaaaaaaaa) >> (64 - uint(h.Step)*2)
	if d > 0 {
		y += zz + 1
	} else {
		y |= zz
		y -= zz + 1
	}
	y &= 0x5555555555555555 >> (64 - uint(h.Step)*2)
	h.Bits = x | y
}

// GeoNeighbors are the eight cells around a hash, in the order searches
// visit them after the center.
type GeoNeighbors struct {
	North, South, East, West                   GeoHashBits
	NorthEast, NorthWest, SouthEast, SouthWest GeoHashBits
}

func neighbors(h GeoHashBits) GeoNeighbors {
	move := func(dx, dy int) GeoHashBits {
		n := h
		n.moveX(dx)
		n.moveY(dy)
		return n
	}
	return GeoNeighbors{
		East: move(1, 0), West: move(-1, 0), South: move(0, -1), North: move(0, 1),
		NorthWest: move(-1, 1), NorthEast: move(1, 1), SouthEast: move(1, -1), SouthWest: move(-1, -1),
	}
}

// GeoShape is a search area: a circle of Radius, or a Width x Height box,
// around (Lon, Lat), with sizes in units of Conversion meters.
type GeoShape struct {
	Box            bool
	Lon, Lat       float64
	Conversion     float64
	Radius         float64
	Width, Height  float64
	MinLon, MinLat float64 // bounding box, set by GeoSearchAreas
	MaxLon, MaxLat float64

	prepared bool // Within's cache
	all      bool
	aLimit   float64
	cosLat   float64
}

// geoEstimateSteps picks the cell size (step) for a search of the given
// radius: the largest cells that still make the 3x3 block cover it.
func geoEstimateSteps(rangeMeters, lat float64) uint8 {
	if rangeMeters == 0 {
		return 26
	}
	step := 1
	for rangeMeters < mercatorMax {
		rangeMeters *= 2
		step++
	}
	step -= 2
	if lat > 66 || lat < -66 {
		step--
		if lat > 80 || lat < -80 {
			step--
		}
	}
	return uint8(min(max(step, 1), 26))
}

func (s *GeoShape) boundingBox() {
	var height, width float64
	if s.Box {
		height = s.Conversion * (s.Height / 2)
		width = s.Conversion * (s.Width / 2)
	} else {
		height = s.Conversion * s.Radius
		width = s.Conversion * s.Radius
	}
	latDelta := radDeg(height / EarthRadiusMeters)
	lonDeltaTop := radDeg(width / EarthRadiusMeters / math.Cos(degRad(s.Lat+latDelta)))
	lonDeltaBottom := radDeg(width / EarthRadiusMeters / math.Cos(degRad(s.Lat-latDelta)))
	if s.Lat < 0 {
		s.MinLon = s.Lon - lonDeltaBottom
		s.MaxLon = s.Lon + lonDeltaBottom
	} else {
		s.MinLon = s.Lon - lonDeltaTop
		s.MaxLon = s.Lon + lonDeltaTop
	}
	s.MinLat = s.Lat - latDelta
	s.MaxLat = s.Lat + latDelta
}

// GeoSearchAreas returns the cells to scan for a search, in the order
// Redis scans them: the center cell, then north, south, east, west,
// north-east, north-west, south-east, south-west. Cells that cannot hold a
// match are zero (skipped).
func GeoSearchAreas(s *GeoShape) [9]GeoHashBits {
	s.boundingBox()
	var radiusMeters float64
	if s.Box {
		radiusMeters = math.Sqrt((s.Width/2)*(s.Width/2) + (s.Height/2)*(s.Height/2))
	} else {
		radiusMeters = s.Radius
	}
	radiusMeters *= s.Conversion
	steps := geoEstimateSteps(radiusMeters, s.Lat)
	hash, _ := GeoEncode(geoLonRange, geoLatRange, s.Lon, s.Lat, steps)
	nb := neighbors(hash)
	area, _ := GeoDecode(geoLonRange, geoLatRange, hash)

	decrease := false
	{
		north, _ := GeoDecode(geoLonRange, geoLatRange, nb.North)
		south, _ := GeoDecode(geoLonRange, geoLatRange, nb.South)
		east, _ := GeoDecode(geoLonRange, geoLatRange, nb.East)
		west, _ := GeoDecode(geoLonRange, geoLatRange, nb.West)
		if north.Lat.Max < s.MaxLat || south.Lat.Min > s.MinLat || east.Lon.Max < s.MaxLon || west.Lon.Min > s.MinLon {
			decrease = true
		}
	}
	if steps > 1 && decrease {
		steps--
		hash, _ = GeoEncode(geoLonRange, geoLatRange, s.Lon, s.Lat, steps)
		nb = neighbors(hash)
		area, _ = GeoDecode(geoLonRange, geoLatRange, hash)
	}
	if steps >= 2 {
		if area.Lat.Min < s.MinLat {
			nb.South, nb.SouthWest, nb.SouthEast = GeoHashBits{}, GeoHashBits{}, GeoHashBits{}
		}
		if area.Lat.Max > s.MaxLat {
			nb.North, nb.NorthEast, nb.NorthWest = GeoHashBits{}, GeoHashBits{}, GeoHashBits{}
		}
		if area.Lon.Min < s.MinLon {
			nb.West, nb.SouthWest, nb.NorthWest = GeoHashBits{}, GeoHashBits{}, GeoHashBits{}
		}
		if area.Lon.Max > s.MaxLon {
			nb.East, nb.SouthEast, nb.NorthEast = GeoHashBits{}, GeoHashBits{}, GeoHashBits{}
		}
	}
	return [9]GeoHashBits{hash, nb.North, nb.South, nb.East, nb.West, nb.NorthEast, nb.NorthWest, nb.SouthEast, nb.SouthWest}
}

// GeoBoxScores is the score interval [min, max) of the points in cell h.
func GeoBoxScores(h GeoHashBits) (lo, hi float64) {
	lo = float64(GeoAlign52(h))
	h.Bits++
	hi = float64(GeoAlign52(h))
	return lo, hi
}

// geoLatDistance is the distance along a meridian.
func geoLatDistance(lat1, lat2 float64) float64 {
	return EarthRadiusMeters * math.Abs(degRad(lat2)-degRad(lat1))
}

// GeoDistance is the haversine great-circle distance in meters, with the
// C library's trigonometry reproduced by correctly rounded functions (see
// geomath.go).
func GeoDistance(lon1, lat1, lon2, lat2 float64) float64 {
	return haversine(lon1, lat1, lon2, lat2, crSin, crCos, crAsin)
}

// GeoDistanceFast is GeoDistance with the math package's functions, within
// a few units in the last place of it (relative error about 1e-15), for
// filtering and comparisons that are not close calls.
func GeoDistanceFast(lon1, lat1, lon2, lat2 float64) float64 {
	d := haversine(lon1, lat1, lon2, lat2, math.Sin, math.Cos, math.Asin)
	if d > 0.9*math.Pi*EarthRadiusMeters {
		// Near the antipode asin amplifies errors: compute it exactly.
		return GeoDistance(lon1, lat1, lon2, lat2)
	}
	return d
}

func haversine(lon1, lat1, lon2, lat2 float64, sin, cos, asin func(float64) float64) float64 {
	lon1r := degRad(lon1)
	lon2r := degRad(lon2)
	v := sin((lon2r - lon1r) / 2)
	if v == 0 {
		return geoLatDistance(lat1, lat2)
	}
	lat1r := degRad(lat1)
	lat2r := degRad(lat2)
	u := sin((lat2r - lat1r) / 2)
	a := float64(u*u) + float64(float64(float64(cos(lat1r)*cos(lat2r))*v)*v)
	return 2.0 * EarthRadiusMeters * asin(math.Sqrt(a))
}

// GeoCloseCall reports whether a fast distance d is too close to x for a
// comparison (or a rounding at x) to be decided without the exact one.
func GeoCloseCall(d, x float64) bool {
	m := math.Abs(d)
	if ax := math.Abs(x); ax > m {
		m = ax
	}
	return math.Abs(d-x) <= 1e-12*m+1e-300 || d != d
}

// chordLimit turns a distance limit into the haversine's a: d <= limit
// exactly when a <= sin^2(limit/2R) (asin is increasing). all is true when
// every distance is within the limit.
func chordLimit(limit float64) (aLimit float64, all bool) {
	half := limit / (2 * EarthRadiusMeters)
	if half >= math.Pi/2*(1+1e-12) {
		return 0, true
	}
	if half >= math.Pi/2 {
		return 2, false // decide each point exactly
	}
	sh := math.Sin(half)
	return sh * sh, false
}

// withinFast decides GeoDistance(lon1, lat1, lon2, lat2) <= limit from the
// haversine's a, computed fast and compared with aLimit (chordLimit's),
// falling back to the exact distance for close calls and far points. cos1
// is math.Cos of lat1 in radians.
func withinFast(lon1, lat1, lon2, lat2, limit, aLimit, cos1 float64) bool {
	lon1r, lon2r := degRad(lon1), degRad(lon2)
	v := math.Sin((lon2r - lon1r) / 2)
	if v == 0 {
		return geoLatDistance(lat1, lat2) <= limit
	}
	lat1r, lat2r := degRad(lat1), degRad(lat2)
	u := math.Sin((lat2r - lat1r) / 2)
	a := u*u + cos1*math.Cos(lat2r)*v*v
	if a > 0.9 || aLimit > 0.9 || GeoCloseCall(a, aLimit) {
		return GeoDistance(lon1, lat1, lon2, lat2) <= limit
	}
	return a <= aLimit
}

// prepare caches what Within needs for every point of a search.
func (s *GeoShape) prepare() {
	s.prepared = true
	s.cosLat = math.Cos(degRad(s.Lat))
	if s.Box {
		s.aLimit, s.all = chordLimit(s.Width * s.Conversion / 2)
	} else {
		s.aLimit, s.all = chordLimit(s.Radius * s.Conversion)
	}
}

// Within reports whether the point at score is inside the shape, and its
// position. The caller computes the distance from the center with
// GeoDistance when it needs it.
func (s *GeoShape) Within(score float64) (lon, lat float64, ok bool) {
	lon, lat, ok = GeoDecodeScore(score)
	if !ok {
		return 0, 0, false
	}
	if !s.prepared {
		s.prepare()
	}
	if !s.Box {
		return lon, lat, s.all || withinFast(s.Lon, s.Lat, lon, lat, s.Radius*s.Conversion, s.aLimit, s.cosLat)
	}
	w, h := s.Width*s.Conversion, s.Height*s.Conversion
	if geoLatDistance(lat, s.Lat) > h/2 {
		return lon, lat, false
	}
	// Redis measures the point's distance to the center's meridian along
	// the point's own parallel.
	return lon, lat, s.all || withinFast(lon, lat, s.Lon, lat, w/2, s.aLimit, math.Cos(degRad(lat)))
}
