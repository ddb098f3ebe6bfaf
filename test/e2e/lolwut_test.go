package e2e

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestLolwut: LOLWUT answers with the version line, and VERSION 5 with
// Georg Nees's "Schotter" in Braille: the same shape (rows, row width,
// the closing line) as redis-server's, whose squares are placed at random.
func TestLolwut(t *testing.T) {
	shapes := map[string][]int{}
	for _, tg := range oracleTargets {
		t.Run(tg.name, func(t *testing.T) {
			c := tg.start(t).Client(t, 2)
			v, err := c.Do(Ctx(t), "LOLWUT").Text()
			if err != nil || !strings.HasPrefix(v, "Redis ver. 7.") || !strings.HasSuffix(v, "\n") {
				t.Fatalf("LOLWUT: %q %v", v, err)
			}
			art, err := c.Do(Ctx(t), "LOLWUT", "VERSION", "5", "20", "4", "3").Text()
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(art, "\n")
			var shape []int
			for _, l := range lines {
				shape = append(shape, utf8.RuneCountInString(l))
			}
			if !strings.HasPrefix(lines[len(lines)-2], "Georg Nees - schotter, plotter on paper, 1968. Redis ver. 7.") {
				t.Fatalf("LOLWUT VERSION 5 ends with %q", lines[len(lines)-2])
			}
			shape[len(shape)-2] = 0 // the version differs
			shapes[tg.name] = shape
			if err := c.Do(Ctx(t), "LOLWUT", "VERSION", "x").Err(); err == nil || err.Error() != "ERR value is not an integer or out of range" {
				t.Fatalf("LOLWUT VERSION x: %v", err)
			}
		})
	}
	if d, r := shapes["damselfly"], shapes["redis"]; !slices.Equal(d, r) {
		t.Fatalf("LOLWUT VERSION 5 20 4 3 line widths: damselfly %v, redis %v", d, r)
	}
}
