package command

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// cmdLolwut is LOLWUT [VERSION v] [args]: computer art and the version, as
// Redis shows it. Version 5 draws Georg Nees's "Schotter" (columns,
// squares per row and per column, as Redis's arguments); every other
// version, Redis 7's own included, answers with the version line alone,
// as Redis 7 does for versions without art of their own (version 6's
// skyline is not drawn here).
func cmdLolwut(c *Ctx) {
	args := c.Args[1:]
	ver := RedisVersion
	if len(args) >= 2 && strings.EqualFold(string(args[0]), "version") {
		v, err := strconv.ParseInt(string(args[1]), 10, 64)
		if err != nil {
			c.Err(ErrNotInt)
			return
		}
		ver = strconv.FormatUint(uint64(uint32(v)), 10) + ".0.0"
		args = args[2:]
	}
	if strings.HasPrefix(ver, "5.") || strings.HasPrefix(ver, "4.9") {
		lolwutSchotter(c, args)
		return
	}
	c.W.Verbatim("Redis ver. " + RedisVersion + "\n")
}

// lolwutSchotter is LOLWUT VERSION 5 [columns [squares-per-row
// [squares-per-col]]], with Redis's defaults (66, 8, 12) and bounds.
func lolwutSchotter(c *Ctx, args [][]byte) {
	params := []int64{66, 8, 12}
	bounds := [][2]int64{{1, 1000}, {1, 200}, {1, 200}}
	for i := 0; i < len(args) && i < 3; i++ {
		v, err := strconv.ParseInt(string(args[i]), 10, 64)
		if err != nil {
			c.Err(ErrNotInt)
			return
		}
		params[i] = min(max(v, bounds[i][0]), bounds[i][1])
	}
	cv := drawSchotter(int(params[0]), int(params[1]), int(params[2]))
	c.W.Verbatim(cv.render() + "\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. " + RedisVersion + "\n")
}

// canvas is a monochrome bitmap rendered with Braille characters, 2x4
// pixels each.
type canvas struct {
	w, h int
	px   []bool
}

func newCanvas(w, h int) *canvas { return &canvas{w, h, make([]bool, w*h)} }

func (cv *canvas) set(x, y int) {
	if x >= 0 && y >= 0 && x < cv.w && y < cv.h {
		cv.px[y*cv.w+x] = true
	}
}

func (cv *canvas) get(x, y int) bool {
	return x >= 0 && y >= 0 && x < cv.w && y < cv.h && cv.px[y*cv.w+x]
}

// line draws from (x0, y0) to (x1, y1) (Bresenham).
func (cv *canvas) line(x0, y0, x1, y1 int) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := 1, 1
	if x0 > x1 {
		sx = -1
	}
	if y0 > y1 {
		sy = -1
	}
	err := dx + dy
	for {
		cv.set(x0, y0)
		if x0 == x1 && y0 == y1 {
			return
		}
		if e2 := 2 * err; e2 >= dy {
			err += dy
			x0 += sx
		} else if e2 <= dx {
			err += dx
			y0 += sy
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// square draws a square of side size centred on (x, y), turned by angle.
func (cv *canvas) square(x, y int, size, angle float64) {
	size = math.Round(size / math.Sqrt2)
	var px, py [4]int
	k := math.Pi/4 + angle
	for j := range 4 {
		px[j] = int(math.Round(math.Sin(k)*size + float64(x)))
		py[j] = int(math.Round(math.Cos(k)*size + float64(y)))
		k += math.Pi / 2
	}
	for j := range 4 {
		cv.line(px[j], py[j], px[(j+1)%4], py[(j+1)%4])
	}
}

// drawSchotter draws rows of squares, more disordered row after row.
func drawSchotter(cols, perRow, perCol int) *canvas {
	w := cols * 2
	pad := 0
	if w > 4 {
		pad = 2
	}
	side := float64(w-2*pad) / float64(perRow)
	cv := newCanvas(w, int(side*float64(perCol))+2*pad)
	for y := range perCol {
		for x := range perRow {
			sx := int(float64(x)*side + side/2 + float64(pad))
			sy := int(float64(y)*side + side/2 + float64(pad))
			angle := 0.0
			if y > 1 {
				r := func() float64 {
					v := rand.Float64() / float64(perCol) * float64(y)
					if rand.IntN(2) == 0 {
						v = -v
					}
					return v
				}
				angle = r()
				sx += int(r() * side / 3)
				sy += int(r() * side / 3)
			}
			cv.square(sx, sy, side, angle)
		}
	}
	return cv
}

// render writes the canvas as lines of Braille patterns (U+2800 plus the
// dots' bits), each line ended by a newline unless it starts on the last
// pixel row, as Redis renders it.
func (cv *canvas) render() string {
	var b strings.Builder
	for y := 0; y < cv.h; y += 4 {
		for x := 0; x < cv.w; x += 2 {
			var bits rune
			for i, d := range [8][2]int{{0, 0}, {0, 1}, {0, 2}, {1, 0}, {1, 1}, {1, 2}, {0, 3}, {1, 3}} {
				if cv.get(x+d[0], y+d[1]) {
					bits |= 1 << i
				}
			}
			b.WriteRune(0x2800 + bits)
		}
		if y != cv.h-1 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}
